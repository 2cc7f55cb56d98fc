/**
 * Free-text redaction: runs every enabled rule over a string, resolves overlaps by priority
 * and rebuilds the string once. Linear: overlap checks use a coverage bitmap, not pairwise tests.
 */
import { scanCommandLines, scanLongOptions, scanProsePasswords } from './credential-phrases';
import { type KeyMatcher, keyType } from './key-rules';
import { foldText } from './unicode-fold';
import { marker } from './markers';
import { GENERIC_SECRET_TYPE, isGenericSecretName, looksLikeGenericSecret } from './generic-secrets';
import type { RedactionMode } from './types';
import type { ProviderValueRule } from './rules/provider-scan';
import { LIT_BASIC, LIT_BEARER, LIT_EYJ, LIT_PASS, LIT_PIN, LIT_PWD, PROSE_GATE_BITS, PROSE_GATE_RE, SECRET_TRIGGER_BITS, SECRET_TRIGGER_RE, WORD_TRIGGER_BITS, WORD_TRIGGER_RE } from './trigger-literals';
import { BUILTIN_PII_RULES, type Emit, Features, type TextFeatures, type ValueRule, builtinPiiMask, textFeatures } from './value-rules';

/** Counts shared by one redact/redactText/redactAttributes call. */
export interface Tally {
  count: number;
  readonly types: Set<string>;
  truncated: boolean;
}

export const newTally = (): Tally => ({ count: 0, types: new Set(), truncated: false });

/** What plain prose can hide: a letters-only Bearer/Basic credential, a JWT, or `password is …`. */
const PLAIN_SUSPECT_RE = /bearer|basic|eyJ|pass|pwd|pin\b/i;
/** PLAIN_SUSPECT_RE's literals as keyword-pass bits (`pin` without its `\b`): a necessary condition for it. */
const PLAIN_SUSPECT_BITS = LIT_BEARER | LIT_BASIC | LIT_EYJ | LIT_PASS | LIT_PWD | LIT_PIN;
/** Strings this long get their keyword pass with their features (collect's prose gate wants it from 10 on). */
const KEYWORDS_WITH_FEATURES = 10;
/** A 16+ letter run glued to a dot: the only provider-token shape plain prose can hold. */
const LONG_DOTTED_WORD_RE = /[A-Za-z]{16}\./;

export const TRUNCATION_MARK = '…[TRUNCATED]';
/** Rules see this much text past maxStringLength, so a secret straddling the cut is still caught. */
const EDGE_SLACK = 4096;

export interface TextRedactorConfig {
  /** Custom rules then built-in secret rules, in priority order. */
  secretRules: readonly ValueRule[];
  /** The provider table among secretRules: it has its own keyword prefilter, so it is not gated on the trigger literals. */
  provider: ProviderValueRule | null;
  /** Personal-data rules, after the key-in-text scan. */
  piiRules: readonly ValueRule[];
  highEntropy: ValueRule | null;
  keys: KeyMatcher;
  keyRulesInText: boolean;
  disabled: ReadonlySet<string>;
  modeFor: (type: string) => RedactionMode;
  pseudonym: (secret: string) => string;
  maxStringLength: number;
  /** Shortest string any rule can match (custom patterns lower it). */
  minLength: number;
  /** Custom patterns may match anything, so the plain-text fast path is off. */
  hasCustomRules: boolean;
  /**
   * Every rule family on every string, no family gate (reference-redactor.ts): the slow path the
   * gates are tested against. Never set in production.
   */
  exhaustive?: boolean;
}

export interface TextOutcome {
  text: string;
  /** A rule in `drop` mode fired: the caller removes the enclosing property when it can. */
  drop: boolean;
}

export class TextRedactor {
  // Per-call scratch state: redact() is synchronous and calls no user code while scanning, so
  // one set of fields (and callbacks bound once) replaces closures allocated on every string.
  private source = '';
  private hits: Hits | null = null;
  private main = '';
  private readonly features = new Features();
  private readonly emit: Emit;
  private readonly keyHit: (start: number, end: number, type: string) => void;

  /** Per personal-data rule, its builtinPiiMask bit (0: not a built-in rule, asked through `applies`). */
  private readonly piiBits: Int32Array;

  constructor(private readonly cfg: TextRedactorConfig) {
    this.piiBits = Int32Array.from(cfg.piiRules, (r) => {
      const i = BUILTIN_PII_RULES.indexOf(r);
      return i < 0 ? 0 : 1 << i;
    });
    this.emit = (s, e, type) => {
      const src = this.source;
      const t = type ?? this.main;
      // A marker from an earlier pass is not a secret: keeps redaction idempotent.
      if (this.cfg.disabled.has(t) || src.startsWith('[REDACTED', s) || src.startsWith('hmac:', s)) return;
      this.hits ??= new Hits(src);
      this.hits.add(s, e, t, false);
    };
    this.keyHit = (s, e, type) => {
      this.hits ??= new Hits(this.source);
      this.hits.add(s, e, type, true);
    };
  }

  /** The redacted text, or null when nothing changed (the common case allocates nothing but its features). */
  redact(text: string, tally: Tally): TextOutcome | null {
    const { cfg } = this;
    let source = text;
    let limit = text.length;
    const cut = text.length > cfg.maxStringLength;
    if (cut) {
      source = text.slice(0, cfg.maxStringLength + EDGE_SLACK);
      limit = cfg.maxStringLength;
      tally.truncated = true;
    }
    if (source.length < cfg.minLength) return null;
    // Reused: the nested scans (decoded text, base64 JSON) take their own features.
    // Strings of 10+ characters nearly always need the keyword pass too (collect's gates): it runs
    // in the same pass as the features then.
    let f = cfg.provider !== null && source.length >= KEYWORDS_WITH_FEATURES ? cfg.provider.features(source, this.features) : textFeatures(source, this.features);
    // Full-width and other Unicode forms are scanned folded to ASCII (same offsets); the
    // original text is what gets rebuilt around the hits.
    const original = source;
    if (f.fold) {
      const folded = foldText(source);
      if (folded !== null) {
        source = folded;
        f = textFeatures(source, this.features);
      }
    }
    const open = cut || cfg.hasCustomRules || cfg.exhaustive === true;
    let hits = this.collect(source, f, open);
    // Percent-encoded text (query strings, form bodies) is scanned once more, decoded.
    if (f.percent || (f.plus && f.equals) || cfg.exhaustive === true) hits = this.collectDecoded(source, hits);
    // Base64 of JSON (`eyJ…` is `{"`): decoded and scanned; a secret inside replaces the whole blob.
    if ((f.length >= 20 || cfg.exhaustive === true) && (source.includes('eyJ') || source.includes('W3si') || source.includes('WyJ'))) {
      hits = this.collectBase64Json(source, hits);
    }
    if (hits === null && !cut) return null;
    return this.rebuild(original, limit, cut, hits ?? new Hits(source), tally);
  }

  /** The hits in `text` without rebuilding it (used to scan joined array items). */
  spans(text: string): { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly types: readonly string[] } | null {
    if (text.length < this.cfg.minLength) return null;
    const scan = (textFeatures(text, this.features).fold && foldText(text)) || text;
    return this.collect(scan, textFeatures(scan, this.features), this.cfg.hasCustomRules || this.cfg.exhaustive === true);
  }

  /** Runs every rule family that can match `source`; null when none reported anything. */
  private collect(source: string, f: TextFeatures, open: boolean): Hits | null {
    const { cfg } = this;
    // Fast path for words and prose: without digits or @ : = + - _ only a letters-only
    // Bearer/Basic credential, a JWT or `password is …` could hide here, and those announce themselves.
    // (The keyword bits, when the features pass found them, hold every literal of PLAIN_SUSPECT_RE, case folded.)
    const kw = (f as Features).keywordBits;
    if (f.plain && !open && (f.length < 10 || (!((kw < 0 || (kw & PLAIN_SUSPECT_BITS) !== 0) && PLAIN_SUSPECT_RE.test(source)) && !(f.length >= 30 && LONG_DOTTED_WORD_RE.test(source))))) return null;

    // Each family runs only when the features say it can match (see each rule's `applies`):
    // prefixed tokens need ≥ 14 chars, URL passwords ':' and '@', connection strings '='.
    // One keyword pass finds the provider keywords and the gates' literals (as bits); strings too
    // short or too plain for any of it skip the pass.
    const provider = cfg.provider !== null && f.length >= 16 && (open || !f.plain || (f.length >= 30 && LONG_DOTTED_WORD_RE.test(source)));
    const wantsTrigger = !open && f.upperDigitRun < 20 && (f.length >= 14 || f.equals || (f.colon && f.at));
    const wantsProse = cfg.keyRulesInText && f.length >= 10;
    const lits = cfg.provider !== null && (provider || wantsTrigger || wantsProse) ? (kw >= 0 ? kw : cfg.provider.literals(source)) : -1;
    (f as Features).lits = lits; // the national-id rows read their context-word bit from it
    // Each family runs only when the features say it can match (see each rule's `applies`):
    // prefixed tokens need ≥ 14 chars, URL passwords ':' and '@', connection strings '='.
    const secrets = open || f.upperDigitRun >= 20 || (wantsTrigger && this.secretTrigger(source, f, lits));
    const all = cfg.exhaustive === true;
    const keyValues = cfg.keyRulesInText && (all || f.colon || f.equals);
    const options = cfg.keyRulesInText && (all || (f.length >= 6 && (f.doubleDash || f.spaceDash)));
    const prose = cfg.keyRulesInText && (all || (wantsProse && (lits & PROSE_GATE_BITS) !== 0 && PROSE_GATE_RE.test(source)));
    const pii = f.cardRun >= 9 || f.phoneRun >= 8 || f.at || f.ibanStart || f.digits >= 6 || (f.upper > 0 && f.digits + f.upper >= 3 && f.length >= 12);
    if (!secrets && !provider && !keyValues && !options && !prose && !pii && !open && cfg.highEntropy === null) return null;

    this.source = source;
    this.hits = null;
    if (secrets || provider) {
      for (const rule of cfg.secretRules) if (rule === cfg.provider ? provider : secrets) this.run(rule, f);
    }
    if (keyValues) scanKeyValues(source, cfg.keys, this.keyHit);
    if (options) {
      if (all || f.doubleDash) scanLongOptions(source, cfg.keys, this.keyHit);
      if (all || f.spaceDash) scanCommandLines(source, cfg.keys, this.keyHit);
    }
    if (prose) scanProsePasswords(source, cfg.keys, this.keyHit);
    if (open) for (const rule of cfg.piiRules) this.run(rule, f);
    else if (pii) {
      // One mask for the built-in rules' `applies` (builtinPiiMask), then only the rules it names.
      const mask = builtinPiiMask(f, source);
      if (mask !== 0) {
        const { piiRules } = cfg;
        const bits = this.piiBits;
        for (let r = 0; r < piiRules.length; r++) {
          const bit = bits[r]!;
          if (bit === 0) this.run(piiRules[r]!, f);
          else if ((mask & bit) !== 0) {
            this.main = piiRules[r]!.types[0]!;
            piiRules[r]!.scan(source, this.emit, f);
          }
        }
      }
    }
    if (cfg.highEntropy) this.run(cfg.highEntropy, f);
    const hits = this.hits as Hits | null;
    this.source = ''; // scratch state holds no caller data between calls
    this.hits = null;
    return hits;
  }

  /**
   * Can any prefixed secret rule match? Most of their literals hold a '-' '_' ':' or '='; without
   * one of those, only the separator-free literals (eyJ, AIza, Bearer, Basic, Secret) need looking for.
   */
  private secretTrigger(source: string, f: TextFeatures, lits: number): boolean {
    if (f.dash || f.underscore || f.colon || f.equals) return lits === -1 ? SECRET_TRIGGER_RE.test(source) : (lits & SECRET_TRIGGER_BITS) !== 0;
    return (lits & WORD_TRIGGER_BITS) !== 0 && WORD_TRIGGER_RE.test(source);
  }

  /** Adds a hit for every base64(JSON) blob whose decoded JSON holds something the rules find. */
  private collectBase64Json(source: string, hits: Hits | null): Hits | null {
    let out = hits;
    BASE64_JSON_RE.lastIndex = 0;
    for (let m = BASE64_JSON_RE.exec(source); m !== null; m = BASE64_JSON_RE.exec(source)) {
      const start = m.index;
      const end = start + m[0].length;
      if (source.charCodeAt(end) === 46 || out?.overlaps(start, end)) continue; // a JWT: the jwt rule has it
      const json = decodeBase64Json(m[0]);
      if (json === null) continue;
      const inner = this.collect(json, textFeatures(json), this.cfg.hasCustomRules || this.cfg.exhaustive === true);
      if (inner === null) continue;
      out ??= new Hits(source);
      out.add(start, end, inner.types[0]!, false);
    }
    return out;
  }

  /** Adds what the rules find in the percent-decoded text, mapped back onto the encoded text. */
  private collectDecoded(source: string, hits: Hits | null): Hits | null {
    const decoded = percentDecode(source);
    if (decoded === null) return hits;
    const inner = this.collect(decoded.text, textFeatures(decoded.text), this.cfg.hasCustomRules || this.cfg.exhaustive === true);
    if (inner === null) return hits;
    const out = hits ?? new Hits(source);
    const { map } = decoded;
    for (let i = 0; i < inner.size; i++) out.add(map[inner.starts[i]!]!, map[inner.ends[i]!]!, inner.types[i]!, true);
    return out;
  }

  private run(rule: ValueRule, f: TextFeatures): void {
    if (!rule.applies(f, this.source)) return;
    this.main = rule.types[0]!;
    rule.scan(this.source, this.emit, f);
  }

  private rebuild(source: string, limit: number, cut: boolean, hits: Hits, tally: Tally): TextOutcome {
    const { cfg } = this;
    const order = hits.sortedIndexes();
    let out = '';
    let pos = 0;
    let drop = false;
    for (const i of order) {
      const start = hits.starts[i]!;
      if (start >= limit) break;
      if (start < pos) continue;
      const end = hits.ends[i]!;
      const type = hits.types[i]!;
      const mode = cfg.modeFor(type);
      if (mode === 'drop') drop = true;
      out += source.slice(pos, start) + (mode === 'hmac' ? cfg.pseudonym(source.slice(start, end)) : marker(type));
      tally.count++;
      tally.types.add(type);
      pos = end;
    }
    if (pos < limit) out += source.slice(pos, limit);
    if (cut) out += TRUNCATION_MARK;
    return { text: out, drop };
  }
}

export { marker } from './markers';

/** Base64 or base64url of `{"`, `[{"` or `["`, not glued to a longer token. */
const BASE64_JSON_RE = /(?<![A-Za-z0-9+/_-])(?:eyJ|W3si|WyJ)[A-Za-z0-9+/_-]{13,}={0,2}/g;

/** The decoded text when `blob` is base64 of printable JSON, else null (binary, images, hashes). */
export function decodeBase64Json(blob: string): string | null {
  const url = blob.includes('-') || blob.includes('_');
  const text = Buffer.from(blob, url ? 'base64url' : 'base64').toString('utf8');
  const first = text.charCodeAt(0);
  if (first !== 123 && first !== 91) return null;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
  }
  return control * 20 > text.length ? null : text;
}

/** Escapes only: a bare '%' with no hex after it means the text is not percent-encoded. */
const PERCENT_ESCAPE_RE = /%[0-9A-Fa-f]{2}/;
/** A form/query value holding a '+' (`q=Bearer+abc`): '+' there is an encoded space. */
const FORM_PLUS_RE = /(?:^|[?&])[\w.-]{1,64}=[^&\s]*\+/;

/**
 * Decodes `%XX` (ASCII only: secrets are ASCII, and a lone UTF-8 byte is not a character) and,
 * once the text is known to be encoded (an escape, or a '+' inside a `key=value` of a query), `+` as a space. `map[i]` is where decoded char i starts in
 * `text`; `map[decoded.length]` is `text.length`, so a decoded span maps back with two lookups.
 */
export function percentDecode(text: string): { text: string; map: Uint32Array } | null {
  if (!PERCENT_ESCAPE_RE.test(text) && !(text.includes('+') && FORM_PLUS_RE.test(text))) return null;
  const map = new Uint32Array(text.length + 1);
  const codes = new Uint16Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; n++) {
    map[n] = i;
    const c = text.charCodeAt(i);
    if (c === 37 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      const byte = hexValue(text.charCodeAt(i + 1)) * 16 + hexValue(text.charCodeAt(i + 2));
      if (byte < 128) {
        codes[n] = byte;
        i += 3;
        continue;
      }
      // UTF-8 of two or three bytes (`f%C3%B8dselsnummer`): one character, mapped to all its escapes.
      const need = byte >= 0xc2 && byte <= 0xdf ? 1 : byte >= 0xe0 && byte <= 0xef ? 2 : 0;
      let cp = need === 1 ? byte & 0x1f : byte & 0x0f;
      let j = i + 3;
      let k = 0;
      for (; k < need; k++, j += 3) {
        if (j + 2 >= text.length || text.charCodeAt(j) !== 37 || !isHex(text.charCodeAt(j + 1)) || !isHex(text.charCodeAt(j + 2))) break;
        const b = hexValue(text.charCodeAt(j + 1)) * 16 + hexValue(text.charCodeAt(j + 2));
        if ((b & 0xc0) !== 0x80) break;
        cp = (cp << 6) | (b & 0x3f);
      }
      if (need > 0 && k === need && cp >= 0x80 && (cp < 0xd800 || cp > 0xdfff)) {
        codes[n] = cp;
        i = j;
        continue;
      }
    }
    codes[n] = c === 43 ? 32 : c;
    i++;
  }
  map[n] = text.length;
  let out = '';
  for (let at = 0; at < n; at += 8192) out += String.fromCharCode(...codes.subarray(at, Math.min(n, at + 8192)));
  return { text: out, map: map.subarray(0, n + 1) };
}

const hexValue = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Few hits overlap-check by a scan of the list; past this many, a coverage bitmap keeps it linear. */
const BITMAP_AFTER = 16;

const ONE_HIT: readonly number[] = Object.freeze([0]);

/** Accepted hits, in the order rules reported them (earlier = higher priority). */
class Hits {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly types: string[] = [];
  private covered: Uint8Array | null = null;

  constructor(private readonly text: string) {}

  get size(): number {
    return this.starts.length;
  }

  /** Is any of [start, end) already taken? */
  overlaps(start: number, end: number): boolean {
    if (this.covered !== null) {
      for (let i = start; i < end; i++) if (this.covered[i]) return true;
      return false;
    }
    for (let i = 0; i < this.starts.length; i++) if (this.starts[i]! < end && start < this.ends[i]!) return true;
    return false;
  }

  private isCovered(i: number): boolean {
    if (this.covered !== null) return this.covered[i] === 1;
    for (let h = 0; h < this.starts.length; h++) if (this.starts[h]! <= i && i < this.ends[h]!) return true;
    return false;
  }

  /** Overlapping an earlier (higher-priority) hit: skipped, or with `clip`, split into its uncovered runs. */
  add(start: number, end: number, type: string, clip: boolean): void {
    if (end <= start) return;
    if (!this.overlaps(start, end)) {
      this.push(start, end, type);
      return;
    }
    if (!clip) return;
    let runStart = -1;
    for (let i = start; i <= end; i++) {
      const free = i < end && !this.isCovered(i);
      if (free && runStart < 0) runStart = i;
      else if (!free && runStart >= 0) {
        // What a stronger rule left around its hit: whitespace or a bare `Bearer ` stays readable.
        const piece = this.text.slice(runStart, i).trim();
        if (piece !== '' && !AUTH_SCHEMES.has(piece.toLowerCase())) this.push(runStart, i, type);
        runStart = -1;
      }
    }
  }

  private push(start: number, end: number, type: string): void {
    this.starts.push(start);
    this.ends.push(end);
    this.types.push(type);
    if (this.covered !== null) this.covered.fill(1, start, end);
    else if (this.starts.length > BITMAP_AFTER) {
      this.covered = new Uint8Array(this.text.length);
      for (let h = 0; h < this.starts.length; h++) this.covered.fill(1, this.starts[h], this.ends[h]);
    }
  }

  sortedIndexes(): readonly number[] {
    if (this.starts.length === 1) return ONE_HIT; // the common case: no array, no sort
    const idx = this.starts.map((_, i) => i);
    return idx.length < 2 ? idx : idx.sort((a, b) => this.starts[a]! - this.starts[b]!);
  }
}

// --- key = value / "key": "value" inside free text ---------------------------------------------

const isKeyChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
/**
 * Where an unquoted value ends: whitespace, quotes, `,` `;`, and `&` only inside a URL query.
 * Brackets do not end it: over-redacting a `)` is harmless, leaking a password's tail is not.
 */
const isValueEnd = (c: number, query: boolean) =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 59 || c === 34 || c === 39 || (query && (c === 38 || c === 63 || c === 35));

/**
 * Is the key part of a URL (`memo://notes/X-Auth-Key: …?q=…`)? Then `?`, `&` and `#` end its value,
 * so a second key in the query is still seen. Looks back over the current word only, at most 2 KiB.
 */
function inUrl(text: string, keyStart: number): boolean {
  const stop = Math.max(0, keyStart - 2048);
  for (let j = keyStart - 1; j >= stop + 2; j--) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39) return false;
    if (c === 47 && text.charCodeAt(j - 1) === 47 && text.charCodeAt(j - 2) === 58) return true;
  }
  return false;
}
/** Header-like keys whose unquoted value runs to the end of the line (`Authorization: Bearer x`). */
const LINE_VALUED = new Set(['authorization', 'cookie']);
const AUTH_SCHEMES = new Set([
  'bearer', 'basic', 'digest', 'token', 'negotiate', 'ntlm', 'hoba', 'mutual', 'aws4-hmac-sha256', 'ssws', 'bot', 'apikey',
  'api-key', 'splunk', 'key', 'dsn', 'sharedaccesssignature', 'sharedkey', 'oauth', 'mac', 'hawk', 'genie', 'geniekey',
  'klaviyo-api-key', 'ghost', 'gitlab', 'pat', 'pvesession', 'pveapitoken', 'sso-key', 'cloudflare',
]);
/** A scheme word before an `Authorization` credential: a known one, or any short word of letters (schemes are open-ended). */
function isSchemeWord(text: string, from: number, to: number): boolean {
  if (to - from > 32 || to === from) return false;
  if (AUTH_SCHEMES.has(text.slice(from, to).toLowerCase())) return true;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!letter && !(i > from && (c === 45 || (c >= 48 && c <= 57)))) return false;
  }
  return true;
}
const MAX_KEY = 64;

/** Header-style line: only whitespace between the previous newline (or the start) and the key. */
function atLineStart(text: string, keyStart: number): boolean {
  for (let j = keyStart - 1; j >= 0; j--) {
    const c = text.charCodeAt(j);
    if (c === 10 || c === 13) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
const MAX_STRUCTURED = 8192;

/**
 * Finds `key: value`, `key=value`, `"key": "value"` and escaped-JSON pairs whose key a key rule
 * flags, and reports the value. Walks back from each ':' or '=' at most MAX_KEY chars: linear.
 */
export function scanKeyValues(text: string, keys: KeyMatcher, emit: (start: number, end: number, type: string) => void): void {
  const n = text.length;
  let jwk: number | undefined;
  let genericBudget = GENERIC_SCAN_BUDGET;
  let nextColon = text.indexOf(':');
  let nextEquals = text.indexOf('=');
  for (let i = 0; i < n; i++) {
    // Jump to the next ':' or '=' natively instead of visiting every character.
    if (nextColon >= 0 && nextColon < i) nextColon = text.indexOf(':', i);
    if (nextEquals >= 0 && nextEquals < i) nextEquals = text.indexOf('=', i);
    if (nextColon < 0 && nextEquals < 0) return;
    i = nextColon < 0 ? nextEquals : nextEquals < 0 ? nextColon : Math.min(nextColon, nextEquals);
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (next === 61 || next === 62 || (c === 58 && (next === 47 || next === 58))) continue; // ==, =>, ://, ::
    let k = i - 1;
    while (k >= 0 && i - k <= 3 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
    let quoted = false;
    if (k >= 0 && (text.charCodeAt(k) === 34 || text.charCodeAt(k) === 39)) {
      quoted = true;
      k--;
      // JSON inside a string, possibly nested: `\"password\"`, `\\\"password\\\"`.
      for (let b = 0; b < MAX_ESCAPES && k >= 0 && text.charCodeAt(k) === 92; b++) k--;
    }
    const keyEnd = k + 1;
    while (k >= 0 && keyEnd - k <= MAX_KEY && isKeyChar(text.charCodeAt(k))) k--;
    const keyStart = k + 1;
    if (keyEnd - keyStart > MAX_KEY || keyEnd === keyStart) continue;
    let label: string | null = null;
    let type: string;
    if (keyEnd - keyStart < 3) {
      // JWK private members (`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`, `"k"`) of a key object in the text.
      if (!quoted || !JWK_PRIVATE.has(text.slice(keyStart, keyEnd))) continue;
      jwk ??= text.includes('kty') ? 1 : 0;
      if (!jwk) continue;
      type = JWK_TYPE;
    } else {
      if (!quoted && keyStart > 0 && text.charCodeAt(keyStart - 1) === 58 && c === 58) continue; // a:b:c chains (times, ids)
      const name = text.slice(keyStart, keyEnd);
      label = keys.match(name);
      if (label !== null) type = keyType(label);
      else if (isGenericSecretName(name)) type = GENERIC_SECRET_TYPE;
      else continue;
    }

    let v = i + 1;
    while (v < n && v - i <= 4 && (text.charCodeAt(v) === 32 || text.charCodeAt(v) === 9)) v++;
    if (v >= n) break;
    if (type === GENERIC_SECRET_TYPE) {
      // A generic candidate is checked in a bounded window and skipped over only when it is a
      // secret: `creds: DB_PASSWORD=…` must still reach the key inside its value. Windows of
      // candidates side by side overlap, so their total is budgeted (`key=key=…` stays linear).
      if (genericBudget <= 0) continue;
      genericBudget -= MAX_GENERIC_VALUE;
      const span = genericValue(text, v);
      if (span !== null && looksLikeGenericSecret(text.slice(span[0], span[1]))) {
        emit(span[0], span[1], type);
        i = Math.max(i, span[1] - 1);
      }
      continue;
    }
    let start = v;
    let end: number;
    let resume: number;
    const vc = text.charCodeAt(v);
    let slashes = 0;
    while (vc === 92 && slashes < MAX_ESCAPES && text.charCodeAt(v + slashes) === 92) slashes++;
    if (slashes > 0 && text.charCodeAt(v + slashes) === 34) {
      start = v + slashes + 1;
      end = escapedClose(text, start, ESCAPED_QUOTES[slashes]!);
      resume = Math.min(n, end + slashes + 1);
    } else if (vc === 34 || vc === 39) {
      start = v + 1;
      end = closingQuote(text, start, vc);
      resume = end + 1;
    } else if (vc === 123 || vc === 91) {
      end = closingBracket(text, v);
      resume = end;
    } else {
      end = v;
      if (label !== null && LINE_VALUED.has(label) && atLineStart(text, keyStart)) {
        while (end < n && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
      } else {
        const query = (keyStart > 0 && (text.charCodeAt(keyStart - 1) === 63 || text.charCodeAt(keyStart - 1) === 38)) || inUrl(text, keyStart);
        while (end < n && !isValueEnd(text.charCodeAt(end), query)) end++;
        // `authorization=Bearer abc`, `"Authorization: SSWS 00ab…"`: any scheme word takes its credential with it.
        if (label !== null && LINE_VALUED.has(label) && text.charCodeAt(end) === 32 && isSchemeWord(text, v, end)) {
          end++;
          while (end < n && !isValueEnd(text.charCodeAt(end), query)) end++;
        }
      }
      resume = end;
    }
    const value = text.slice(start, Math.min(end, start + 32));
    if (end > start && value !== 'null' && !alreadyRedacted(value)) emit(start, end, type);
    i = Math.max(i, resume - 1);
  }
}

/** Longest value a generic secret can have (plus quotes): its window. */
const MAX_GENERIC_VALUE = 160;
/** Characters of generic-candidate windows one string may cost (about 400 candidates). */
const GENERIC_SCAN_BUDGET = 65_536;

/** [start, end) of a generic candidate's value at `v` (quoted or bare), within a bounded window; null past it. */
function genericValue(text: string, v: number): [number, number] | null {
  const q = text.charCodeAt(v);
  const quoted = q === 34 || q === 39 || q === 96;
  const start = quoted ? v + 1 : v;
  const stop = Math.min(text.length, start + MAX_GENERIC_VALUE + 1);
  let end = start;
  if (quoted) {
    while (end < stop && text.charCodeAt(end) !== q && text.charCodeAt(end) !== 92) end++;
    return end < stop ? [start, end] : null;
  }
  while (end < stop && !isValueEnd(text.charCodeAt(end), false) && text.charCodeAt(end) !== 92) end++;
  return end < stop || end === text.length ? [start, end] : null;
}

/** Private members of a JSON Web Key (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const JWK_PRIVATE = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv']);
export const JWK_TYPE = 'jwk_private_key';

/** Backslashes before a quote that JSON nested in strings can pile up (2^depth − 1). */
const MAX_ESCAPES = 15;
/** `\"`, `\\"`, …: the opening (and closing) of a value k escape levels deep, by k. */
const ESCAPED_QUOTES: readonly string[] = Array.from({ length: MAX_ESCAPES + 1 }, (_, k) => `${'\\'.repeat(k)}"`);

/**
 * Where a value opened by `open` (backslashes + quote) closes: the same sequence not preceded by
 * another backslash (a longer run is a quote escaped one level deeper, inside the value).
 */
function escapedClose(text: string, from: number, open: string): number {
  let j = text.indexOf(open, from);
  while (j > from && text.charCodeAt(j - 1) === 92) j = text.indexOf(open, j + open.length);
  return j < 0 ? text.length : j;
}

/** A marker, or an auth scheme followed by one (`Basic [REDACTED:basic_auth]`): redacting twice changes nothing. */
function alreadyRedacted(value: string): boolean {
  if (value.startsWith('[REDACTED') || value.startsWith('hmac:')) return true;
  const space = value.indexOf(' ');
  if (space < 0 || !isSchemeWord(value, 0, space)) return false;
  const rest = value.slice(space).trimStart();
  return rest.startsWith('[REDACTED') || rest.startsWith('hmac:');
}

function closingQuote(text: string, from: number, quote: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92) j++;
    else if (c === quote) return j;
  }
  return text.length;
}

/** End (exclusive) of a `{…}` or `[…]` value, ignoring brackets inside strings; capped and fail-closed. */
function closingBracket(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  const stop = Math.min(text.length, from + MAX_STRUCTURED);
  for (let j = from; j < stop; j++) {
    const c = text.charCodeAt(j);
    if (inString) {
      if (c === 92) j++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return stop;
}
