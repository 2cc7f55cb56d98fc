/**
 * createRedactor: validates options once, then walks values with bounded depth, size and
 * array length, applying key rules to property names and value rules to every string.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCPTRAIL_REDACTION_COUNT,
  ATTR_MCPTRAIL_REDACTION_TYPES,
} from '@mcptrail/conventions';
import { isCardNumber } from './checksums';
import { KeyMatcher, keyType } from './key-rules';
import { GENERIC_SECRET_TYPE, isGenericSecretName, looksLikeGenericSecret } from './generic-secrets';
import { isRedactionMarker } from './markers';
import { JWK_TYPE } from './text-redaction';
import { resolveOptions } from './options';
import { type Tally, TextRedactor, marker, newTally } from './text-redaction';
import type { RedactionMode, RedactionResult, RedactionSummary, Redactor, RedactorOptions } from './types';
import { providerRule } from './rules/provider-scan';
import { BUILTIN_PII_RULES, BUILTIN_VALUE_RULES, PROVIDER_TABLE, highEntropy } from './value-rules';

/**
 * Attribute keys that identify rather than authenticate: key rules would flag them
 * (`session.id` reads as a session id) but the audit trail is useless without them.
 * Value rules still run on them. Matched exactly, only by redactAttributes.
 */
const IDENTIFYING_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  ATTR_MCP_SESSION_ID,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCPTRAIL_REDACTION_COUNT,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  'session.id',
  'session.previous_id',
]);

const CIRCULAR = '[Circular]';
/** Consecutive string items joined for the split-secret scan, at most (characters). */
const MAX_JOINED = 16_384;
const TRUNCATED = '[TRUNCATED]';
/** Returned by walk() for values JSON has no form for (undefined, functions, symbols). */
const OMIT: unique symbol = Symbol('omit');
/** Strings longer than this are never parsed as JSON by redactAttributes (the text scan still runs). */
const MAX_JSON_ATTRIBUTE = 1_048_576;

/** Ancestors up to this depth are checked by scanning the path; deeper ones also go in a Set. */
const SCAN_DEPTH = 48;

/** Distinct property names whose verdicts are kept (then the cache starts over). */
const VERDICT_CACHE_LIMIT = 4096;

/** What a property name decides (see keyVerdict). */
interface KeyVerdict {
  readonly key: string;
  readonly label: string | null;
  /** The value rules leave the name unchanged (short names are not scanned). */
  readonly cleanName: boolean;
  /** A generic secret name (`access`, `billingKey`); computed when a string value first needs it. */
  generic: boolean | undefined;
}

interface Walk {
  readonly tally: Tally;
  /** The objects on the path to the current value (cycle detection). */
  readonly path: object[];
  /** path[SCAN_DEPTH..], for paths too deep to scan (created when first needed). */
  deep: Set<object> | null;
  /** Remaining approximate JSON bytes. */
  budget: number;
  /** Set when a `drop`-mode value rule fired on the string just walked. */
  drop: boolean;
  /** False for scan(): objects are walked and tallied but not copied (nothing is returned). */
  copy: boolean;
}

class DefaultRedactor implements Redactor {
  readonly keyId: string;
  private readonly keys: KeyMatcher;
  private readonly text: TextRedactor;
  private readonly modes: ReadonlyMap<string, RedactionMode>;
  private readonly defaultMode: RedactionMode;
  /**
   * The HMAC key as a KeyObject, made once: Node 24's `createHmac` with a Buffer key costs ~11 µs (it
   * builds a key object per call) against ~1.4 µs with a KeyObject, and every call hashes twice.
   */
  private readonly hmacKey: KeyObject;
  private readonly maxDepth: number;
  private readonly maxArrayLength: number;
  private readonly maxTotalBytes: number;
  private readonly cardsDisabled: boolean;

  constructor(options: RedactorOptions | undefined, exhaustive = false) {
    const o = resolveOptions(options);
    this.keyId = o.keyId;
    this.hmacKey = createSecretKey(o.hmacKey);
    this.modes = o.modes;
    this.defaultMode = o.defaultMode;
    this.maxDepth = o.limits.maxDepth;
    this.maxArrayLength = o.limits.maxArrayLength;
    this.maxTotalBytes = o.limits.maxTotalBytes;
    this.cardsDisabled = o.disabled.has('card_number');
    this.keys = new KeyMatcher({ extraKeys: o.extraKeys, allowKeys: o.allowKeys, disabledLabels: o.disabledKeyLabels });
    const enabled = (r: { types: readonly string[] }) => r.types.some((t) => !o.disabled.has(t));
    const provider = providerRule(o.disabled);
    this.text = new TextRedactor({
      secretRules: [...o.customRules, ...BUILTIN_VALUE_RULES.filter(enabled).map((r) => (r === PROVIDER_TABLE ? provider : r))],
      provider,
      piiRules: BUILTIN_PII_RULES.filter(enabled),
      highEntropy: o.highEntropy ? highEntropy : null,
      keys: this.keys,
      keyRulesInText: true,
      disabled: o.disabled,
      modeFor: (t) => this.modeFor(t),
      pseudonym: (s) => this.pseudonym(s),
      maxStringLength: o.limits.maxStringLength,
      minLength: o.customRules.length > 0 ? 1 : 5,
      hasCustomRules: o.customRules.length > 0,
      exhaustive,
    });
  }

  redact(value: unknown): RedactionResult<unknown> {
    const w = this.takeWalk(true);
    try {
      let out = this.walk(value, 0, w);
      if (out === OMIT) out = undefined;
      return result(out, w.tally);
    } finally {
      this.recycle(w);
    }
  }

  redactJson(value: unknown): RedactionResult<string> {
    const w = this.takeWalk(true);
    try {
      const out = this.walk(value, 0, w);
      // The copy holds only JSON values, so stringify cannot throw or meet a getter; OMIT has no JSON form.
      return result(out === OMIT ? 'null' : JSON.stringify(out), w.tally);
    } finally {
      this.recycle(w);
    }
  }

  scan(value: unknown): RedactionSummary {
    const w = this.takeWalk(false);
    try {
      this.walk(value, 0, w);
      return summary(w.tally);
    } finally {
      this.recycle(w);
    }
  }

  /** The walk state is reused between calls; a re-entrant call (a toJSON that redacts) gets its own. */
  private takeWalk(copy: boolean): Walk {
    const w = this.spareWalk ?? this.newWalk();
    this.spareWalk = null;
    w.copy = copy;
    return w;
  }

  private spareWalk: Walk | null = null;

  /** Resets a finished walk for the next call (result() has copied what it needs from the tally). */
  private recycle(w: Walk): void {
    w.tally.count = 0;
    if (w.tally.types.size !== 0) w.tally.types.clear();
    w.tally.truncated = false;
    if (w.path.length !== 0) w.path.length = 0;
    w.deep = null;
    w.budget = this.maxTotalBytes;
    w.drop = false;
    this.spareWalk = w;
  }

  redactText(text: string): RedactionResult<string> {
    const tally = newTally();
    if (typeof text !== 'string') return result('', tally);
    return result(this.text.redact(text, tally)?.text ?? text, tally);
  }

  redactAttributes(attrs: Record<string, unknown>): RedactionResult<Record<string, unknown>> {
    const w = this.newWalk();
    const out: Record<string, unknown> = {};
    if (attrs === null || typeof attrs !== 'object') return result(out, w.tally);
    for (const rawKey of safeKeys(attrs)) {
      const value = safeGet(attrs, rawKey);
      if (value === undefined) continue;
      const verdict = this.keyVerdict(rawKey);
      const key = verdict.cleanName ? rawKey : this.memberName(rawKey, out, w.tally);
      const label = IDENTIFYING_ATTRIBUTE_KEYS.has(rawKey) ? null : verdict.label;
      if (label !== null) {
        const replaced = this.applyKeyRule(label, value, w.tally);
        if (replaced !== OMIT) out[key] = replaced;
        continue;
      }
      if (typeof value === 'string' && this.genericName(verdict) && looksLikeGenericSecret(value)) {
        const replaced = this.applyType(GENERIC_SECRET_TYPE, value, w.tally);
        if (replaced !== OMIT) out[key] = replaced;
        continue;
      }
      w.drop = false;
      const v = this.attributeValue(value, w);
      if (v !== OMIT && !w.drop) out[key] = v;
    }
    return result(out, w.tally);
  }

  redactIdentifier(id: string): RedactionResult<string> {
    const tally = newTally();
    if (typeof id !== 'string') return result('', tally);
    if (isRedactionMarker(id)) return result(id, tally);
    const r = this.text.redact(id, tally);
    if (r === null) return result(id, tally);
    // Distinct ids must stay distinct (baselines are per actor): the whole id becomes one pseudonym.
    return result(this.pseudonym(id), tally);
  }

  keyedHash(data: string | Uint8Array): string {
    const hmac = createHmac('sha256', this.hmacKey);
    (typeof data === 'string' ? hmac.update(data, 'utf8') : hmac.update(data));
    return `hmac:${this.keyId}:${hmac.digest('hex')}`;
  }

  // --- internals -------------------------------------------------------------------------------

  private newWalk(): Walk {
    return { tally: newTally(), path: [], deep: null, budget: this.maxTotalBytes, drop: false, copy: true };
  }

  private readonly modeCache = new Map<string, RedactionMode>();

  private modeFor(type: string): RedactionMode {
    let mode = this.modeCache.get(type);
    if (mode === undefined) {
      mode = this.modes.get(type) ?? (type.startsWith('key:') ? this.modes.get('key') : undefined) ?? this.defaultMode;
      if (this.modeCache.size < 1024) this.modeCache.set(type, mode);
    }
    return mode;
  }

  private pseudonym(secret: string): string {
    return `hmac:${this.keyId}:${createHmac('sha256', this.hmacKey).update(secret, 'utf8').digest('hex').slice(0, 16)}`;
  }

  /** Replaces a value found by a structural rule (JWK member, generic secret) under its type's mode. */
  private applyType(type: string, value: string, tally: Tally): unknown {
    const mode = this.modeFor(type);
    tally.count++;
    tally.types.add(type);
    if (mode === 'drop') return OMIT;
    if (mode === 'hmac') return this.pseudonym(value);
    return marker(type);
  }

  /** Replaces the whole value of a sensitive key, or OMIT to drop the key. Null stays null: it holds no secret. */
  private applyKeyRule(label: string, value: unknown, tally: Tally): unknown {
    if (value === null) return null;
    if (typeof value === 'string' && isRedactionMarker(value)) return value; // already redacted upstream
    const type = keyType(label);
    const mode = this.modeFor(type);
    tally.count++;
    tally.types.add(type);
    if (mode === 'drop') return OMIT;
    if (mode === 'hmac') return this.pseudonym(typeof value === 'string' ? value : safeStringify(value));
    return marker(type);
  }

  private attributeValue(value: unknown, w: Walk): unknown {
    if (typeof value === 'string') {
      const trimmed = value.trimStart();
      if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && value.length <= MAX_JSON_ATTRIBUTE) {
        const parsed = tryParseJson(value);
        if (parsed !== undefined) {
          const before = w.tally.count;
          const wasTruncated = w.tally.truncated;
          w.tally.truncated = false;
          const redacted = this.walk(parsed, 0, w);
          const changed = w.tally.count !== before || w.tally.truncated;
          w.tally.truncated ||= wasTruncated;
          w.drop = false; // drop inside JSON already removed the member
          return changed ? JSON.stringify(redacted) : value;
        }
      }
      return this.walkString(value, w);
    }
    if (Array.isArray(value)) {
      const out = value.map((item) => {
        if (typeof item === 'string') return this.text.redact(item, w.tally)?.text ?? item; // drop → masked: arrays keep their length
        if (typeof item === 'number') return this.walkNumber(item, w);
        return item;
      });
      if (out.length >= 2) this.joinSplitSecrets(value, out, w);
      return out;
    }
    if (typeof value === 'number') return this.walkNumber(value, w);
    if (typeof value === 'boolean') return value;
    return this.walk(value, 0, w);
  }

  private walkString(s: string, w: Walk): string {
    w.budget -= s.length + 2;
    const out = this.text.redact(s, w.tally);
    if (out === null) return s;
    if (out.drop) w.drop = true;
    return out.text;
  }

  /** Card numbers also arrive as JSON numbers. */
  private walkNumber(n: number, w: Walk): unknown {
    w.budget -= 8;
    if (!Number.isFinite(n)) return null;
    if (!this.cardsDisabled && Number.isSafeInteger(n) && n >= 1e12 && isCardNumber(String(n))) {
      w.tally.count++;
      w.tally.types.add('card_number');
      const mode = this.modeFor('card_number');
      if (mode === 'drop') w.drop = true;
      return mode === 'hmac' ? this.pseudonym(String(n)) : '[REDACTED:card_number]';
    }
    return n;
  }

  private walk(value: unknown, depth: number, w: Walk): unknown {
    switch (typeof value) {
      case 'string':
        return this.walkString(value, w);
      case 'number':
        return this.walkNumber(value, w);
      case 'boolean':
        w.budget -= 5;
        return value;
      case 'bigint':
        return this.walkString(value.toString(), w);
      case 'undefined':
      case 'function':
      case 'symbol':
        return OMIT;
    }
    if (value === null) {
      w.budget -= 4;
      return null;
    }
    const obj = value as object;
    if (onPath(w, obj)) return CIRCULAR;
    if (depth >= this.maxDepth) {
      w.tally.truncated = true;
      return TRUNCATED;
    }
    const kind = plainKind(obj);
    if (kind === NOT_PLAIN) {
      const special = this.specialObject(obj, depth, w);
      if (special !== undefined) return special;
    }
    enter(w, obj);
    try {
      return Array.isArray(obj) ? this.walkArray(obj, depth, w) : this.walkPlainObject(obj, depth, w);
    } finally {
      leave(w);
    }
  }

  /** Non-plain objects with a JSON-safe form; undefined when the object is walked as a plain one. */
  private specialObject(obj: object, depth: number, w: Walk): unknown {
    if (ArrayBuffer.isView(obj)) return `[Binary ${obj.byteLength} bytes]`;
    if (obj instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && obj instanceof SharedArrayBuffer)) {
      return `[Binary ${obj.byteLength} bytes]`;
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    if (obj instanceof Error) {
      const message = this.walkString(String(safeGet(obj, 'message') ?? ''), w);
      w.drop = false;
      return { name: String(safeGet(obj, 'name') ?? 'Error'), message };
    }
    if (obj instanceof RegExp) return this.walkString(String(obj), w);
    if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) return this.walk(obj.valueOf(), depth, w);
    if (obj instanceof Map || obj instanceof Set || (!Array.isArray(obj) && typeof (obj as { toJSON?: unknown }).toJSON === 'function')) {
      enter(w, obj);
      try {
        if (obj instanceof Set) return this.walkArray([...obj], depth, w);
        if (obj instanceof Map) return this.walkObject(obj, [...obj].map(([k, v]) => [String(k), v] as [string, unknown]), depth, w);
        let json: unknown;
        try {
          json = (obj as { toJSON: () => unknown }).toJSON();
        } catch {
          return '[Unserializable]';
        }
        return json === obj ? CIRCULAR : this.walk(json, depth, w);
      } finally {
        leave(w);
      }
    }
    return undefined;
  }

  private walkArray(arr: readonly unknown[], depth: number, w: Walk): unknown[] {
    const n = Math.min(arr.length, this.maxArrayLength);
    const out: unknown[] = [];
    w.budget -= 2;
    for (let i = 0; i < n; i++) {
      if (w.budget <= 0) {
        w.tally.truncated = true;
        out.push(`[TRUNCATED ${arr.length - i} items]`);
        return out;
      }
      const v = this.walk(safeIndex(arr, i), depth + 1, w);
      w.drop = false; // an array keeps its length: a dropped value stays masked
      out.push(v === OMIT ? null : v);
      w.budget -= 1;
    }
    if (n >= 2) this.joinSplitSecrets(arr, out, w);
    if (arr.length > n) {
      w.tally.truncated = true;
      out.push(`[TRUNCATED ${arr.length - n} items]`);
    }
    return out;
  }

  private walkPlainObject(obj: object, depth: number, w: Walk): Record<string, unknown> | null {
    const out: Record<string, unknown> | null = w.copy ? {} : null;
    w.budget -= 2;
    try {
      // for-in rather than Object.keys: a million-key object is not copied before the budget stops us.
      for (const key in obj) {
        if (!Object.hasOwn(obj, key)) continue;
        if (w.budget <= 0) {
          w.tally.truncated = true;
          break;
        }
        this.walkMember(out, key, safeGet(obj, key), depth, w, obj);
      }
    } catch {
      // a Proxy whose traps throw: keep what was copied
    }
    return out;
  }

  /** One property into `out` (null: scan only, the tally is all that counts). */
  /** `owner` is the plain object the member is read from (whether it is a JWK is asked only for JWK member names). */
  private walkMember(out: Record<string, unknown> | null, rawKey: string, value: unknown, depth: number, w: Walk, owner: object | null = null): void {
    w.budget -= rawKey.length + 4;
    const verdict = this.keyVerdict(rawKey);
    const key = verdict.cleanName ? rawKey : this.memberName(rawKey, out, w.tally);
    const { label } = verdict;
    if (label !== null) {
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return;
      const replaced = this.applyKeyRule(label, value, w.tally);
      if (replaced !== OMIT && out !== null) defineMember(out, key, replaced);
      return;
    }
    if (typeof value === 'string' && value.length >= 8) {
      // A JWK's private members (`d`, `p`, `q`, …, `k`), and a random value under a name such as
      // `access` or `billingKey` (gitleaks' generic-api-key).
      const structural = owner !== null && rawKey.length <= 4 && JWK_PRIVATE_MEMBERS.has(rawKey) && isJwk(owner) ? JWK_TYPE : this.genericName(verdict) && looksLikeGenericSecret(value) ? GENERIC_SECRET_TYPE : null;
      if (structural !== null) {
        const replaced = this.applyType(structural, value, w.tally);
        if (replaced !== OMIT && out !== null) defineMember(out, key, replaced);
        return;
      }
    }
    w.drop = false;
    const v = this.walk(value, depth + 1, w);
    if (v !== OMIT && !w.drop && out !== null) defineMember(out, key, v);
    w.drop = false;
  }

  /**
   * What a property name decides, computed once per distinct name: its key rule, whether the
   * value rules leave the name itself unchanged, and (lazily: only string values need it) whether
   * it is a generic secret name. One Map lookup per member instead of three; bounded like the
   * caches it replaces.
   */
  private keyVerdict(key: string): KeyVerdict {
    let v = this.verdicts.get(key);
    if (v === undefined) {
      // A name the value rules change is not cached as clean: memberName redacts it on every use.
      v = { key, label: this.keys.match(key), cleanName: key.length < 8 || this.nameIsClean(key), generic: undefined };
      if (this.verdicts.size >= VERDICT_CACHE_LIMIT) this.verdicts.clear();
      this.verdicts.set(key, v);
    }
    return v;
  }

  /** Scratch tally for nameIsClean: a name's verdict counts nothing (memberName counts when it is used). */
  private readonly nameTally: Tally = newTally();

  private nameIsClean(key: string): boolean {
    const t = this.nameTally;
    const clean = this.text.redact(key, t) === null;
    t.count = 0;
    if (t.types.size !== 0) t.types.clear();
    t.truncated = false;
    return clean;
  }

  private genericName(v: KeyVerdict): boolean {
    if (v.generic === undefined) v.generic = isGenericSecretName(v.key);
    return v.generic;
  }

  /**
   * A property or attribute name with the value rules applied: a secret used as a key
   * (`{"ghp_…": true}`, a header named after a token) must not survive as a name either. Clean
   * names are cached; a redacted name that collides with one already present gets a ` #n` suffix.
   */
  private memberName(key: string, out: Record<string, unknown> | null, tally: Tally): string {
    if (key.length < 8) return key;
    const before = tally.count;
    const r = this.text.redact(key, tally);
    if (r === null || r.text === key) return key;
    let name = r.text;
    if (out !== null) for (let n = 2; Object.hasOwn(out, name); n++) name = `${r.text} #${n}`;
    if (tally.count === before) tally.count++;
    return name;
  }

  private readonly verdicts = new Map<string, KeyVerdict>();

  /**
   * Secrets split across consecutive string items (`["ghp_abc", "def…"]`): the items are joined and
   * scanned once more; every item a hit spans is replaced by the hit's marker. Hits inside one
   * item were already replaced by the item's own scan.
   */
  private joinSplitSecrets(arr: readonly unknown[], out: unknown[], w: Walk): void {
    let from = 0;
    while (from < out.length) {
      if (typeof arr[from] !== 'string') {
        from++;
        continue;
      }
      let to = from;
      let total = 0;
      let untouched = false; // items all replaced already leave nothing a split secret could leak through
      while (to < out.length && typeof arr[to] === 'string' && total <= MAX_JOINED) {
        if (out[to] === arr[to]) untouched = true;
        total += (arr[to++] as string).length;
      }
      if (to - from >= 2 && untouched) this.scanJoined(arr, out, from, to, w);
      from = to;
    }
  }

  private scanJoined(arr: readonly unknown[], out: unknown[], from: number, to: number, w: Walk): void {
    const starts: number[] = [];
    let joined = '';
    for (let i = from; i < to; i++) {
      starts.push(joined.length);
      joined += arr[i] as string;
    }
    const spans = this.text.spans(joined);
    if (spans === null) return;
    for (let h = 0; h < spans.starts.length; h++) {
      const s = spans.starts[h]!;
      const e = spans.ends[h]!;
      const first = itemAt(starts, s);
      const last = itemAt(starts, e - 1);
      if (last === first) continue; // inside one item: its own scan had it
      // The first item already held a secret of its own: the joined hit may be that secret
      // running on into its neighbour (`a@b.com` + `ok`); neighbours are taken only when they
      // look like the rest of a token (8+ characters, no spaces).
      const ownHit = out[from + first] !== arr[from + first];
      if (ownHit && !this.continuesToken(arr, from + first + 1, from + last)) continue;
      const type = spans.types[h]!;
      const mode = this.modeFor(type);
      for (let i = first; i <= last; i++) out[from + i] = mode === 'hmac' ? this.pseudonym(arr[from + i] as string) : marker(type);
      w.tally.count++;
      w.tally.types.add(type);
    }
  }

  private continuesToken(arr: readonly unknown[], from: number, to: number): boolean {
    for (let i = from; i <= to; i++) {
      const s = arr[i] as string;
      if (s.length < 8 || /\s/.test(s)) return false;
    }
    return true;
  }

  private walkObject(_obj: object, entries: Iterable<[string, unknown]>, depth: number, w: Walk): Record<string, unknown> | null {
    const out: Record<string, unknown> | null = w.copy ? {} : null;
    w.budget -= 2;
    for (const [key, value] of entries) {
      if (w.budget <= 0) {
        w.tally.truncated = true;
        break;
      }
      this.walkMember(out, key, value, depth, w);
    }
    return out;
  }
}

/** Index of the item of a joined string that holds offset `at` (`starts` ascending): binary search. */
function itemAt(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Private members of a JSON Web Key (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 `d`). */
const JWK_PRIVATE_MEMBERS: ReadonlySet<string> = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv']);

/** An object with a string `kty` member: a JSON Web Key. */
function isJwk(obj: object): boolean {
  try {
    return typeof (obj as { kty?: unknown }).kty === 'string' && Object.hasOwn(obj, 'kty');
  } catch {
    return false;
  }
}

const NOT_PLAIN = 0;
const PLAIN_OBJECT = 1;
const PLAIN_ARRAY = 2;

/**
 * Plain objects and arrays (the bulk of tool arguments) skip the chain of instanceof checks.
 * An own or inherited toJSON still takes the slow path; a Proxy whose trap throws is not plain.
 */
function plainKind(obj: object): number {
  let proto: unknown;
  try {
    proto = Object.getPrototypeOf(obj);
  } catch {
    return NOT_PLAIN;
  }
  if (proto === Array.prototype) return PLAIN_ARRAY;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  try {
    return typeof (obj as { toJSON?: unknown }).toJSON === 'function' ? NOT_PLAIN : PLAIN_OBJECT;
  } catch {
    return NOT_PLAIN;
  }
}

function onPath(w: Walk, obj: object): boolean {
  const { path } = w;
  const n = Math.min(path.length, SCAN_DEPTH);
  for (let i = 0; i < n; i++) if (path[i] === obj) return true;
  return path.length > SCAN_DEPTH && w.deep !== null && w.deep.has(obj);
}

function enter(w: Walk, obj: object): void {
  if (w.path.length >= SCAN_DEPTH) {
    w.deep ??= new Set();
    w.deep.add(obj);
  }
  w.path.push(obj);
}

function leave(w: Walk): void {
  const obj = w.path.pop()!;
  if (w.path.length >= SCAN_DEPTH) w.deep?.delete(obj);
}


function result<T>(value: T, tally: Tally): RedactionResult<T> {
  return { value, count: tally.count, types: sortedTypes(tally.types), truncated: tally.truncated };
}

function summary(tally: Tally): RedactionSummary {
  return { count: tally.count, types: sortedTypes(tally.types), truncated: tally.truncated };
}

function sortedTypes(types: ReadonlySet<string>): string[] {
  const out: string[] = [];
  if (types.size === 0) return out;
  // Insertion sort with `<` (UTF-16 code unit order, the order Array.prototype.sort gives strings):
  // a call reports a handful of types, and the built-in sort's string conversions cost more than this.
  for (const t of types) {
    let i = out.length;
    while (i > 0 && out[i - 1]! > t) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = t;
  }
  return out;
}

function safeKeys(obj: object): string[] {
  try {
    return Object.keys(obj);
  } catch {
    return [];
  }
}

function safeGet(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return '[Unreadable]';
  }
}

function safeIndex(arr: readonly unknown[], i: number): unknown {
  try {
    return arr[i];
  } catch {
    return '[Unreadable]';
  }
}

/** `__proto__` as data must stay data, not become the copy's prototype. */
function defineMember(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key.length === 9 && key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Validates options up front (throws RedactConfigError naming the field) and returns a reusable redactor. */
export function createRedactor(options?: RedactorOptions): Redactor {
  return new DefaultRedactor(options);
}

/**
 * The same redactor with every rule family run on every string (no family gate, no plain-text
 * fast path): the slow path the gates are tested against. For tests only; not exported by the package.
 */
export function createReferenceRedactor(options?: RedactorOptions): Redactor {
  return new DefaultRedactor(options, true);
}
