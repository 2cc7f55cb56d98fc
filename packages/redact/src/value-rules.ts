/**
 * Built-in value rules: find secrets and personal data inside strings.
 *
 * Linear time is a design rule here, not a hope: each rule is gated by cheap features computed in
 * one pass over the text, every regex starts with a literal or a tight class and has no nested
 * unbounded quantifier, and multi-line or open-ended formats (PEM, emails) are scanned by hand
 * with indexOf. Checks (Luhn, mod-97, NANP, SSN ranges) run only on candidates.
 */
import { cardBrandValid, ibanValid, isCardNumber, luhnValid, shannonEntropy, ssnValid } from './checksums';
import { PROVIDER_RULE_TYPES } from './rules/provider-rules';
import { FOLD } from './unicode-fold';
import {
  ID_SHAPE_CAP_PAIR_DIGIT,
  ID_SHAPE_DOT_DIGIT,
  ID_SHAPE_GROUPS_324,
  ID_SHAPE_GROUPS_333,
  ID_SHAPE_GROUPS_444,
  ID_SHAPE_SIX_SEP_DIGIT,
  type IdGate,
  NATIONAL_ID_TYPES,
  scanNationalIds,
} from './rules/national-ids';
import { LIT_ID_CONTEXT } from './trigger-literals';
import { COLUMN, HAS_OUTPUT, type KeywordIndex, WIDTH } from './rules/keyword-index';

/** Facts about a string computed in one pass, used to skip rules that cannot match. */
export interface TextFeatures {
  readonly length: number;
  readonly digits: number;
  readonly upper: number;
  readonly at: boolean;
  readonly colon: boolean;
  readonly equals: boolean;
  readonly plus: boolean;
  readonly dash: boolean;
  /** Saw '%' (percent-encoded text is also scanned decoded). */
  readonly percent: boolean;
  /** Saw '_' (`ghp_`, `sk_live_`, `whsec_`, …). */
  readonly underscore: boolean;
  /** Holds `--` (a long option). */
  readonly doubleDash: boolean;
  /** Holds ` -` (a command-line flag). */
  readonly spaceDash: boolean;
  /** Only letters, whitespace and . , ! ? ' " ( ) / — prose and words. */
  readonly plain: boolean;
  /** Longest digit run allowing single ' ' or '-' between digits (cards, SSNs). */
  readonly cardRun: number;
  /** Longest digit run allowing up to two of ' ' - . ( ) between digits (phones). */
  readonly phoneRun: number;
  /** Longest run of [A-Z0-9] (AWS key ids are 20). */
  readonly upperDigitRun: number;
  /** Longest digit run allowing single ' ' - . / between digits (national ids: `123.456.789-09`). */
  readonly idRun: number;
  /** Longest run of consecutive digits (no separators). */
  readonly pureRun: number;
  /** Most digit groups in one idRun (`123-45-6789` has 3). */
  readonly idGroups: number;
  /** ID_SHAPE_* bits (rules/national-ids.ts): digit shapes national-id rows need. */
  readonly idShape: number;
  /** Saw two letters followed by two digits (an IBAN start). */
  readonly ibanStart: boolean;
  /** Saw a Unicode form of an ASCII character (full-width, other scripts' digits): scanned folded too. */
  readonly fold: boolean;
  /** Saw a code unit above 0x7f. */
  readonly nonAscii: boolean;
  /** Trigger-literal bits of the keyword pass over this text (trigger-literals.ts), or -1 when it did not run. */
  readonly lits: number;
}

const K_LOWER = 1;
const K_UPPER = 2;
const K_DIGIT = 3;
const K_PLAIN = 4; // whitespace and sentence punctuation
const K_OTHER = 5;
/** Kind of every UTF-16 code unit: one table lookup per character, no range checks. */
const CHAR_KIND = new Uint8Array(65536).fill(K_OTHER);
for (let c = 97; c <= 122; c++) CHAR_KIND[c] = K_LOWER;
for (let c = 65; c <= 90; c++) CHAR_KIND[c] = K_UPPER;
for (let c = 48; c <= 57; c++) CHAR_KIND[c] = K_DIGIT;
for (const ch of ' \t\r\n.,!?\'"()/') CHAR_KIND[ch.charCodeAt(0)] = K_PLAIN;

/** Bits for the separators rules key on, so the light pass does one lookup instead of a branch chain. */
const F_AT = 1;
const F_COLON = 2;
const F_EQUALS = 4;
const F_PLUS = 8;
const F_DASH = 16;
const F_PERCENT = 32;
const F_UNDERSCORE = 64;
/** `--` and ` -` (long options, command-line flags): set where the '-' is seen, from the character before it. */
const F_DOUBLE_DASH = 128;
const F_SPACE_DASH = 256;
const OTHER_FLAG = new Uint8Array(128);
OTHER_FLAG[64] = F_AT;
OTHER_FLAG[58] = F_COLON;
OTHER_FLAG[61] = F_EQUALS;
OTHER_FLAG[43] = F_PLUS;
OTHER_FLAG[45] = F_DASH;
OTHER_FLAG[37] = F_PERCENT;
OTHER_FLAG[95] = F_UNDERSCORE;

/** Mutable TextFeatures: the text redactor reuses one per call instead of allocating per string. */
export class Features implements TextFeatures {
  length = 0;
  digits = 0;
  upper = 0;
  at = false;
  colon = false;
  equals = false;
  plus = false;
  dash = false;
  percent = false;
  underscore = false;
  doubleDash = false;
  spaceDash = false;
  plain = false;
  cardRun = 0;
  phoneRun = 0;
  upperDigitRun = 0;
  idRun = 0;
  pureRun = 0;
  idGroups = 0;
  idShape = 0;
  ibanStart = false;
  fold = false;
  nonAscii = false;
  lits = -1;
  /** The keyword pass's flag bits when textFeaturesAndKeywords computed these features, else -1. */
  keywordBits = -1;
}

/**
 * Features in two steps: a light pass (counts and separators; most strings stop there) and, only
 * when there are enough digits or capitals for a run-based rule, the run measurement. The run
 * measurement steps over runs of lower-case letters, prose and digits in tight inner loops
 * (measureRuns); the two-pass version it replaced is kept as the reference it is tested equal to
 * (test/fixtures/reference-features.ts). Written into `out` when given (a reused object), else
 * into a new one.
 */
export function textFeatures(text: string, out: Features = new Features()): TextFeatures {
  let digits = 0;
  let upper = 0;
  let other = 0;
  let flags = 0;
  let fold = false;
  let nonAscii = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = CHAR_KIND[c]!;
    if (k === K_LOWER || k === K_PLAIN) continue;
    if (k === K_DIGIT) digits++;
    else if (k === K_UPPER) upper++;
    else {
      other++;
      if (c < 128) {
        flags |= OTHER_FLAG[c]!;
        if (c === 45 && i > 0) {
          const p = text.charCodeAt(i - 1);
          if (p === 45) flags |= F_DOUBLE_DASH;
          else if (p === 32) flags |= F_SPACE_DASH;
        }
      } else {
        nonAscii = true;
        if (FOLD[c] !== 0) fold = true;
      }
    }
  }
  out.keywordBits = -1;
  return finishFeatures(text, out, digits, upper, other, flags, fold, nonAscii);
}

/**
 * textFeatures with the keyword pass (KeywordIndex.scan: its hits into `hits`, its flag bits into
 * `out.keywordBits`) in the same light pass over the text: one read of each code unit instead of
 * two. Tested equal to both (test/one-pass-features.test.ts). Returns the number of (keyword, end)
 * pairs written.
 */
export function textFeaturesAndKeywords(text: string, out: Features, index: KeywordIndex, hits: Int32Array): number {
  const { next, outputs, flagMasks } = index;
  const maxHits = hits.length;
  let state = 0;
  let hitCount = 0;
  let kwFlags = 0;
  let digits = 0;
  let upper = 0;
  let other = 0;
  let flags = 0;
  let fold = false;
  let nonAscii = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    state = next[(state & ~HAS_OUTPUT) + COLUMN[c]!]!;
    if ((state & HAS_OUTPUT) !== 0) {
      const at = (state - HAS_OUTPUT) / WIDTH;
      kwFlags |= flagMasks[at]!;
      const o = outputs[at] as readonly number[] | null;
      if (o !== null) {
        for (let h = 0; h < o.length && hitCount < maxHits; h++) {
          hits[hitCount++] = o[h]!;
          hits[hitCount++] = i + 1;
        }
      }
    }
    const k = CHAR_KIND[c]!;
    if (k === K_LOWER || k === K_PLAIN) continue;
    if (k === K_DIGIT) digits++;
    else if (k === K_UPPER) upper++;
    else {
      other++;
      if (c < 128) {
        flags |= OTHER_FLAG[c]!;
        if (c === 45 && i > 0) {
          const p = text.charCodeAt(i - 1);
          if (p === 45) flags |= F_DOUBLE_DASH;
          else if (p === 32) flags |= F_SPACE_DASH;
        }
      } else {
        nonAscii = true;
        if (FOLD[c] !== 0) fold = true;
      }
    }
  }
  out.keywordBits = kwFlags;
  finishFeatures(text, out, digits, upper, other, flags, fold, nonAscii);
  return hitCount >> 1;
}

function finishFeatures(text: string, out: Features, digits: number, upper: number, other: number, flags: number, fold: boolean, nonAscii: boolean): Features {
  out.fold = fold;
  out.nonAscii = nonAscii;
  out.lits = -1;
  out.doubleDash = (flags & F_DOUBLE_DASH) !== 0;
  out.spaceDash = (flags & F_SPACE_DASH) !== 0;
  out.length = text.length;
  out.digits = digits;
  out.upper = upper;
  out.at = (flags & F_AT) !== 0;
  out.colon = (flags & F_COLON) !== 0;
  out.equals = (flags & F_EQUALS) !== 0;
  out.plus = (flags & F_PLUS) !== 0;
  out.dash = (flags & F_DASH) !== 0;
  out.percent = (flags & F_PERCENT) !== 0;
  out.underscore = (flags & F_UNDERSCORE) !== 0;
  out.plain = digits === 0 && other === 0;
  // Cards and SSNs need ≥ 9 digits, phones 8, a Chilean RUT 7, AWS key ids 20 of [A-Z0-9], IBANs 2 capitals + 2 digits.
  if (digits >= 7 || digits + upper >= 20 || (upper >= 2 && digits >= 2)) measureRuns(text, out);
  else {
    out.cardRun = 0;
    out.phoneRun = 0;
    out.upperDigitRun = 0;
    out.idRun = 0;
    out.pureRun = 0;
    out.idGroups = 0;
    out.idShape = 0;
    out.ibanStart = false;
  }
  return out;
}

/**
 * Digit and [A-Z0-9] runs. Runs of lower-case letters and of digits are applied to the counters
 * at once: inside such a run every counter only grows (or stays reset), and the checks that look
 * at neighbours (group counts, ID shapes, an IBAN start) can only fire at a run's first or second
 * digit. Separator counters matter only while a digit run is open (a digit resets them), so prose
 * with no run open is stepped over too.
 */
function measureRuns(text: string, out: Features): void {
  let cardRun = 0;
  let cardSep = 0;
  let maxCard = 0;
  let phoneRun = 0;
  let phoneSep = 0;
  let maxPhone = 0;
  let udRun = 0;
  let maxUd = 0;
  let idRun = 0;
  let idSep = 0;
  let maxId = 0;
  let ibanStart = false;
  let maxPure = 0;
  let groups = 0;
  let maxGroups = 0;
  /** Lengths of the two digit groups before the current one (valid while `groups` counts them in one run). */
  let g1 = 0;
  let g2 = 0;
  /** The digit run just before the non-digit at sepAt (for ID shapes). */
  let runBeforeSep = 0;
  let sepAt = -2;
  let sepChar = 0;
  let shape = 0;
  /** The previous code unit and the kinds of the three before (k1 is the previous one's). */
  let c1 = 0;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const k = CHAR_KIND[c]!;
    // Lower case and sentence punctuation with no digit run open: they only close runs (a digit run
    // open before a separator needs that separator counted, below). Stepped over in one loop.
    if (k === K_LOWER || (k === K_PLAIN && (idRun | cardRun | phoneRun) === 0)) {
      let j = i + 1;
      while (j < n) {
        const kj = CHAR_KIND[text.charCodeAt(j)]!;
        if (kj !== K_LOWER && kj !== K_PLAIN) break;
        j++;
      }
      udRun = 0;
      cardRun = 0;
      phoneRun = 0;
      idRun = 0;
      const len = j - i;
      if (len >= 3) {
        k3 = CHAR_KIND[text.charCodeAt(j - 3)]!;
        k2 = CHAR_KIND[text.charCodeAt(j - 2)]!;
      } else if (len === 2) {
        k3 = k1;
        k2 = k;
      } else {
        k3 = k2;
        k2 = k1;
      }
      c1 = text.charCodeAt(j - 1);
      k1 = CHAR_KIND[c1]!;
      i = j;
      continue;
    }
    if (k === K_DIGIT) {
      let j = i + 1;
      while (j < n && CHAR_KIND[text.charCodeAt(j)] === K_DIGIT) j++;
      const len = j - i;
      // What the first digit of a run decides.
      if (idRun === 0) groups = 1;
      else if (idSep === 1) groups++;
      if (groups > maxGroups) maxGroups = groups;
      if (len > maxPure) maxPure = len;
      if (sepAt === i - 1 && i > 0) {
        if (runBeforeSep >= 6) shape |= ID_SHAPE_SIX_SEP_DIGIT;
        if (sepChar === 46 && runBeforeSep >= 1) shape |= ID_SHAPE_DOT_DIGIT;
      }
      if ((k1 === K_UPPER && k2 === K_UPPER) || (c1 === 32 && k2 === K_UPPER && k3 === K_UPPER)) shape |= ID_SHAPE_CAP_PAIR_DIGIT;
      // The second digit after two letters: an IBAN start.
      if (len >= 2 && (k1 === K_UPPER || k1 === K_LOWER) && (k2 === K_UPPER || k2 === K_LOWER)) ibanStart = true;
      idRun += len;
      if (idRun > maxId) maxId = idRun;
      idSep = 0;
      cardRun += len;
      if (cardRun > maxCard) maxCard = cardRun;
      cardSep = 0;
      phoneRun += len;
      if (phoneRun > maxPhone) maxPhone = phoneRun;
      phoneSep = 0;
      udRun += len;
      if (udRun > maxUd) maxUd = udRun;
      // The run ends: its group closes.
      shape |= groupTriple(g2, g1, len, groups);
      if (j < n) {
        g2 = g1;
        g1 = len;
        runBeforeSep = len;
        sepAt = j;
        sepChar = text.charCodeAt(j);
      }
      k3 = len >= 3 ? K_DIGIT : len === 2 ? k1 : k2;
      k2 = len >= 2 ? K_DIGIT : k1;
      k1 = K_DIGIT;
      c1 = text.charCodeAt(j - 1);
      i = j;
      continue;
    }
    if (k === K_UPPER) {
      if (++udRun > maxUd) maxUd = udRun;
      cardRun = 0;
      phoneRun = 0;
      idRun = 0;
    } else {
      udRun = 0;
      if ((c === 32 || c === 45 || c === 46 || c === 47) && idSep === 0) idSep = 1;
      else idRun = 0;
      if ((c === 32 || c === 45) && cardSep === 0) cardSep = 1;
      else cardRun = 0;
      if ((c === 32 || c === 45 || c === 46 || c === 40 || c === 41) && phoneSep < 2) phoneSep++;
      else phoneRun = 0;
    }
    k3 = k2;
    k2 = k1;
    k1 = k;
    c1 = c;
    i++;
  }
  out.pureRun = maxPure;
  out.idGroups = maxGroups;
  out.idShape = shape;
  out.cardRun = maxCard;
  out.phoneRun = maxPhone;
  out.upperDigitRun = maxUd;
  out.idRun = maxId;
  out.ibanStart = ibanStart;
}

/** ID_SHAPE_GROUPS_* bit for the last three digit groups of a run (`groups` of them so far), or 0. */
function groupTriple(a: number, b: number, c: number, groups: number): number {
  if (groups < 3) return 0;
  if (a === 3 && b === 3 && c === 3) return ID_SHAPE_GROUPS_333;
  if (a === 3 && b === 2 && c === 4) return ID_SHAPE_GROUPS_324;
  if (a === 4 && b === 4 && c === 4) return ID_SHAPE_GROUPS_444;
  return 0;
}

/** Reports one sensitive span [start, end) of the text, optionally under a more specific type. */
export type Emit = (start: number, end: number, type?: string) => void;

export interface ValueRule {
  /** Every type this rule can report (the first is its main type). */
  readonly types: readonly string[];
  applies(f: TextFeatures, text: string): boolean;
  scan(text: string, emit: Emit, features: TextFeatures): void;
}

interface RegexRuleSpec {
  types: readonly string[];
  re: RegExp;
  applies: (f: TextFeatures, text: string) => boolean;
  /** The secret part of a match (default: the whole match) and its type (default: types[0]); null to skip. */
  locate?: (m: RegExpExecArray) => [number, number, string?] | null;
}

/** Runs a global regex over the text; `re` is shared, so lastIndex is reset on every scan. */
export function regexRule(spec: RegexRuleSpec): ValueRule {
  const { re, locate } = spec;
  return {
    types: spec.types,
    applies: spec.applies,
    scan(text, emit) {
      eachMatch(re, text, (m) => {
        if (!locate) return emit(m.index, m.index + m[0].length);
        const span = locate(m);
        if (span) emit(span[0], span[1], span[2]);
      });
    },
  };
}

/** Calls fn for every match of a global regex; `re` is shared, so lastIndex is reset first. */
export function eachMatch(re: RegExp, text: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    else fn(m);
  }
}

/** Offset of capture group `g`, given that groups 1..g-1 are contiguous from the match start. */
function groupSpan(m: RegExpExecArray, g: number): [number, number] {
  let start = m.index;
  for (let i = 1; i < g; i++) start += (m[i] ?? '').length;
  return [start, start + (m[g] ?? '').length];
}

const onlyDigits = (s: string) => s.replace(/\D/g, '');
const hasDigit = (s: string) => /\d/.test(s);

// --- PEM private keys: scanned by hand (multi-line, and a missing END must fail closed) --------
const pemPrivateKey: ValueRule = {
  types: ['pem_private_key'],
  applies: (f, t) => f.dash && f.length >= 30 && t.includes('-----BEGIN '),
  scan(text, emit) {
    let from = 0;
    for (;;) {
      const begin = text.indexOf('-----BEGIN ', from);
      if (begin < 0) return;
      const labelEnd = text.indexOf('-----', begin + 11);
      if (labelEnd < 0 || labelEnd - begin > 80) {
        from = begin + 11;
        continue;
      }
      const label = text.slice(begin + 11, labelEnd);
      if (!label.includes('PRIVATE KEY')) {
        from = labelEnd + 5;
        continue;
      }
      const endMarker = text.indexOf('-----END ', labelEnd + 5);
      let end = text.length; // no END: everything after BEGIN is key material
      if (endMarker >= 0) {
        const close = text.indexOf('-----', endMarker + 9);
        end = close >= 0 && close - endMarker < 80 ? close + 5 : text.length;
      }
      emit(begin, end);
      from = end;
    }
  },
};

const jwt = regexRule({
  types: ['jwt'],
  re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  applies: (f, t) => f.length >= 20 && t.includes('eyJ'),
});

const AUTH_SCHEME_RE = /\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/-]{8,}=*)/gi;
const authScheme = regexRule({
  types: ['bearer', 'basic_auth'],
  re: AUTH_SCHEME_RE,
  applies: (f, t) => f.length >= 14 && (t.includes('earer') || t.includes('asic') || t.includes('EARER') || t.includes('ASIC')),
  locate(m) {
    const token = m[3]!;
    const [start, end] = groupSpan(m, 3);
    if (m[1]!.toLowerCase() === 'basic') {
      // Basic credentials are base64("user:pass"); prose like "Basic information" is not.
      const decoded = Buffer.from(token, 'base64').toString('latin1');
      return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded) ? [start, end, 'basic_auth'] : null;
    }
    // Opaque tokens carry a digit or a symbol; a long run of letters is also taken, a word is not.
    return hasDigit(token) || /[._~+/-]/.test(token) || token.length >= 20 ? [start, end, 'bearer'] : null;
  },
});

const awsAccessKey = regexRule({
  types: ['aws_access_key'],
  // Access key ids, with the secret that often follows them (credentials CSV, `id:secret`, env dumps).
  re: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b(?:([\s,;:|"'=]{1,5})([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?/g,
  applies: (f) => f.upperDigitRun >= 20,
  locate: (m) => [m.index, m.index + m[1]!.length + (m[3] ? m[2]!.length + m[3].length : 0), 'aws_access_key'],
});

/**
 * base64 of `user:password` outside an Authorization header (docker `auth`, npm `_auth`, pasted
 * credentials): decoded only when the run has a capital or a digit and a length a padded
 * base64 string can have, and kept only when it decodes to printable `name:secret`.
 */
const BASE64_RUN_RE = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{12,200}={0,2}(?![A-Za-z0-9+/=_-])/g;
const isBase64Char = (c: number) => CHAR_KIND[c] === K_LOWER || CHAR_KIND[c] === K_UPPER || CHAR_KIND[c] === K_DIGIT || c === 43 || c === 47;
/** Does the text hold `min` consecutive characters of [A-Za-z0-9+/]? */
export function hasBase64Run(text: string, min: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (!isBase64Char(text.charCodeAt(i))) run = 0;
    else if (++run >= min) return true;
  }
  return false;
}
const USER_PASS_RE = /^[A-Za-z0-9._@+-]{1,64}:[\x21-\x7e]{4,128}$/;
const base64UserPass: ValueRule = {
  types: ['basic_auth'],
  // Padded (`…==`), or a string that is one token: prose with a long word is not looked at.
  applies: (f, t) => f.length >= 12 && f.upper > 0 && f.digits + f.upper >= 3 && (f.equals || (t.length <= 256 && !t.includes(' '))),
  scan(text, emit) {
    if (!hasBase64Run(text, 12)) return; // what BASE64_RUN_RE needs, without the regex call
    eachMatch(BASE64_RUN_RE, text, (m) => {
      const run = m[0];
      if (run.length % 4 !== 0 || !/[A-Z]/.test(run) || !/[a-z0-9]/.test(run)) return;
      const decoded = Buffer.from(run, 'base64').toString('latin1');
      if (USER_PASS_RE.test(decoded)) emit(m.index, m.index + run.length);
    });
  },
};

const awsSecretKey = regexRule({
  types: ['aws_secret_key'],
  re: /((?:aws_?)?secret_?access_?key|aws_?secret_?key|SecretAccessKey)(["']?\s{0,3}[:=]\s{0,3}["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
  applies: (f, t) => f.length >= 50 && (f.colon || f.equals) && (t.includes('ecret') || t.includes('ECRET')),
  locate: (m) => groupSpan(m, 3),
});








const azureKey = regexRule({
  types: ['azure_key'],
  // Storage/Service Bus/Event Hubs connection strings and SAS signatures.
  re: /(\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)\s{0,3}=\s{0,3}|[?&]sig=)([^;&\s"'<>]{8,1024})/gi,
  applies: (f, t) => f.equals && (/ccountkey|haredaccess/i.test(t) || t.includes('sig=')),
  locate: (m) => groupSpan(m, 2),
});

const urlPassword = regexRule({
  types: ['url_password'],
  // scheme://user:password@host — only the password is replaced, so host and user stay auditable.
  re: /\b([a-z][a-z0-9+.-]{1,30}:\/\/[^\s:/@?#"'<>]{0,128}:)([^\s/@?#"'<>]{1,256})@/gi,
  applies: (f, t) => f.colon && f.at && t.includes('://'),
  locate: (m) => groupSpan(m, 2),
});

/** Digit groups joined by single spaces or dashes: one deterministic step per character, no backtracking. */
const DIGIT_RUN_RE = /\d(?:[ -]?\d)*/g;
/** Groupings cards are printed in (Visa/Mastercard 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4). */
const CARD_GROUPINGS: readonly (readonly number[])[] = [[4, 4, 4, 4, 3], [4, 4, 4, 4], [4, 6, 5], [4, 6, 4]];

/**
 * Card numbers inside a run of digit groups: the whole run, or (when the run also holds a
 * neighbour's digits, `0 4111 1111 1111 1111`) a single 13–19 digit group or a window of groups
 * in a printed card grouping. Windows never cut through a group, so long ids, UUIDs and
 * timestamps made of digits cannot yield a card by slicing.
 */
const cardNumber: ValueRule = {
  types: ['card_number'],
  applies: (f) => f.cardRun >= 13,
  scan(text, emit) {
    eachMatch(DIGIT_RUN_RE, text, (m) => {
      const run = m[0];
      if (run.length < 13) return;
      const at = m.index;
      const before = at > 0 ? text.charCodeAt(at - 1) : 0;
      // A fraction or version tail (`3.4111…`, `1.2.4111…`) or a `-`/`.` chain of numbers is no card.
      const chained = (before === 46 || before === 45) && at > 1 && isDigitCode(text.charCodeAt(at - 2));
      if (chained) return;
      // 19 digits and their separators at most; longer runs are only searched group by group.
      if (run.length <= 37) {
        const digits = onlyDigits(run);
        if (digits.length >= 13 && digits.length <= 19 && isCardNumber(digits)) return emit(at, at + run.length);
      }
      cardWindows(run, at, emit);
    });
  },
};

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Group windows of one digit run (see cardNumber), in one streaming pass: at the end of each group
 * the windows ending there are checked against the last five group lengths. Linear, no arrays.
 */
function cardWindows(run: string, at: number, emit: Emit): void {
  // Ring of the last five groups: start offsets and lengths.
  const gs = [0, 0, 0, 0, 0];
  const gl = [0, 0, 0, 0, 0];
  let count = 0;
  let taken = 0; // end of the last emitted window: windows may not overlap it
  let groupStart = 0;
  for (let i = 1; i <= run.length; i++) {
    if (i < run.length && isDigitCode(run.charCodeAt(i))) continue;
    const slot = count % 5;
    gs[slot] = groupStart;
    gl[slot] = i - groupStart;
    count++;
    groupStart = i + 1;
    const len = i - gs[slot]!;
    if (len >= 13 && len <= 19) {
      if (gs[slot]! >= taken && isCardSpan(run, gs[slot]!, i)) {
        emit(at + gs[slot]!, at + i);
        taken = i;
      }
      continue;
    }
    for (const shape of CARD_GROUPINGS) {
      const k = shape.length;
      if (count < k || shape[k - 1] !== len) continue;
      let fits = true;
      for (let j = 0; j < k && fits; j++) fits = gl[(count - k + j) % 5] === shape[j];
      const from = gs[(count - k) % 5]!;
      if (!fits || from < taken || !isCardSpan(run, from, i)) continue;
      emit(at + from, at + i);
      taken = i;
      break;
    }
  }
}

const spanDigits = new Uint8Array(19);
/** isCardNumber over the digits of text[from, to), separators skipped, without building a string. */
function isCardSpan(text: string, from: number, to: number): boolean {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!isDigitCode(c)) continue;
    if (n === 19) return false;
    spanDigits[n++] = c - 48;
  }
  if (n < 13) return false;
  let sum = 0;
  for (let i = n - 1, double = false; i >= 0; i--, double = !double) {
    let d = spanDigits[i]!;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  if (sum % 10 !== 0) return false;
  let digits = '';
  for (let i = 0; i < n; i++) digits += spanDigits[i];
  return cardBrandValid(digits); // only for Luhn-valid spans: one in ten
}


/** The national-id gate, filled per scan (scans are synchronous and not re-entrant). */
const ID_GATE: { -readonly [K in keyof IdGate]: IdGate[K] } = { run: 0, upper: 0, pure: 0, groups: 0, digits: 0, shape: 0, context: undefined };

/** National identifiers of 26 countries (rules/national-ids.ts), checksums checked. */
export const nationalIds: ValueRule = {
  types: NATIONAL_ID_TYPES,
  // 9 capitals: an Italian fiscal code may have every digit replaced by a letter (omocodia).
  applies: (f) => f.digits >= 6 || (f.upper >= 5 && f.digits >= 4) || f.upper >= 9,
  scan(text, emit, f) {
    const g = ID_GATE;
    g.run = Math.max(f.cardRun, f.idRun);
    g.upper = f.upper;
    g.pure = f.pureRun;
    g.groups = f.idGroups;
    g.digits = f.digits;
    g.shape = f.idShape;
    // The keyword pass also looked for the context words (LIT_ID_CONTEXT); words outside ASCII are not in it.
    g.context = f.lits < 0 ? undefined : (f.lits & LIT_ID_CONTEXT) !== 0 || f.nonAscii;
    scanNationalIds(text, g, emit);
  },
};

export const usSsn = regexRule({
  types: ['us_ssn'],
  re: /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g,
  applies: (f) => f.cardRun >= 9 && f.dash && f.idGroups >= 3,
  locate: (m) => (ssnValid(m[1]!, m[2]!, m[3]!) ? [m.index, m.index + m[0].length] : null),
});

const iban = regexRule({
  types: ['iban'],
  // Any case: `de89 3704 …` is as much an IBAN as `DE89 3704 …`.
  re: /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?\b/g,
  applies: (f) => f.ibanStart && f.length >= 15,
  locate: (m) => (ibanValid(m[0].replace(/ /g, '').toUpperCase()) ? [m.index, m.index + m[0].length] : null),
});

const PHONE_INTERNATIONAL_RE = /(?<![\w+])\+[1-9][\d ().-]{6,22}\d(?!\d)/g;
const PHONE_NANP_RE = /(?<![\w+.-])(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)[-. ])[2-9]\d\d[-. ]\d{4}(?![\w-])/g;
const PHONE_NATIONAL_RE = /(?<![\w+.-])(?:0[1-9](?:[ .-]\d\d){4}|0\d{2,4}[ -]\d{3,8}(?:[ -]\d{3,4})?)(?![\w-])/g;
const phone: ValueRule = {
  types: ['phone'],
  applies: (f) => f.phoneRun >= 8,
  scan(text, emit, f) {
    if (f.plus) {
      eachMatch(PHONE_INTERNATIONAL_RE, text, (m) => {
        // E.164 allows 8–15 digits; runs of separators mean it is not one number.
        const d = e164Digits(m[0]);
        if (d >= 8 && d <= 15) emit(m.index, m.index + m[0].length);
      });
    }
    if (f.phoneRun < 10 || !standaloneNumber(text)) return;
    eachMatch(PHONE_NANP_RE, text, (m) => emit(m.index, m.index + m[0].length));
    eachMatch(PHONE_NATIONAL_RE, text, (m) => {
      const d = onlyDigits(m[0]).length;
      if (d >= 10 && d <= 11) emit(m.index, m.index + m[0].length);
    });
  },
};

/** Digits of an international phone candidate, or -1 when two of ' ' '.' '-' or `()` touch (no single number). */
export function e164Digits(s: string): number {
  let digits = 0;
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c === 32 || c === 46 || c === 45) && (prev === 32 || prev === 46 || prev === 45)) return -1;
    else if (c === 41 && prev === 40) return -1;
    prev = c;
  }
  return digits;
}

/** Both national patterns start at a digit or '(' not glued to a word, '+', '.' or '-' (`ORD-2026-004217` has none). */
function standaloneNumber(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isDigitCode(c) && c !== 40) continue;
    if (i === 0) return true;
    const p = text.charCodeAt(i - 1);
    const glued = CHAR_KIND[p] === K_LOWER || CHAR_KIND[p] === K_UPPER || isDigitCode(p) || p === 95 || p === 43 || p === 46 || p === 45;
    if (!glued) return true;
  }
  return false;
}

// --- email: scanned from each '@' (a regex would retry the local part at every position) -------
const isLocalChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomainChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
/** text[from, to) has a dot after its first char, no '..', and ends in a 2–24 letter TLD; no allocation. */
function validDomain(text: string, from: number, to: number): boolean {
  let lastDot = -1;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) !== 46) continue;
    if (i > from && text.charCodeAt(i - 1) === 46) return false;
    lastDot = i;
  }
  if (lastDot <= from) return false;
  const tld = to - lastDot - 1;
  if (tld < 2 || tld > 24) return false;
  for (let i = lastDot + 1; i < to; i++) {
    const k = CHAR_KIND[text.charCodeAt(i)];
    if (k !== K_LOWER && k !== K_UPPER) return false;
  }
  return true;
}

const email: ValueRule = {
  types: ['email'],
  applies: (f) => f.at && f.length >= 6,
  scan(text, emit) {
    let at = text.indexOf('@');
    let minStart = 0;
    while (at >= 0) {
      let s = at;
      while (s > minStart && at - s < 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
      let e = at + 1;
      while (e < text.length && e - at <= 253 && isDomainChar(text.charCodeAt(e))) e++;
      while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--; // trailing '.' of a sentence
      while (s < at && text.charCodeAt(s) === 46) s++;
      if (s < at && validDomain(text, at + 1, e)) {
        emit(s, e);
        minStart = e;
      }
      at = text.indexOf('@', Math.max(at + 1, e));
    }
  },
};

const HIGH_ENTROPY_RE = /[A-Za-z0-9+/_=-]{24,}/g;
/** Opt-in: long runs of base64/base64url characters that look random. Hex digests and ids are left alone. */
export const highEntropy: ValueRule = {
  types: ['high_entropy'],
  applies: (f) => f.length >= 24 && f.digits > 0,
  scan(text, emit) {
    eachMatch(HIGH_ENTROPY_RE, text, (m) => {
      const s = m[0];
      if (/^[0-9a-fA-F-]+$/.test(s) || !/\d/.test(s) || !/[A-Za-z]/.test(s)) return;
      const classes = (/[a-z]/.test(s) ? 1 : 0) + (/[A-Z]/.test(s) ? 1 : 0) + 1;
      if (classes >= 2 && shannonEntropy(s.length > 4096 ? s.slice(0, 4096) : s) >= 4.0) emit(m.index, m.index + s.length);
    });
  },
};

/**
 * Placeholder for the provider table (rules/provider-rules.ts) in the priority order: the redactor
 * replaces it by the compiled table (`providerRule`), which needs the `disable` option.
 */
export const PROVIDER_TABLE: ValueRule = {
  types: PROVIDER_RULE_TYPES,
  applies: () => false,
  scan() {},
};

/**
 * Built-in value rules in priority order: when two rules claim overlapping text, the earlier
 * one wins (so `sk-ant-…` is `anthropic_key`, not `openai_key`).
 */
export const BUILTIN_VALUE_RULES: readonly ValueRule[] = [
  pemPrivateKey,
  jwt,
  PROVIDER_TABLE,
  awsAccessKey,
  awsSecretKey,
  azureKey,
  urlPassword,
  authScheme,
];

/** Personal data rules, run after the key-in-text scan so `ssn: 123-45-6789` reports `key:ssn`. */
export const BUILTIN_PII_RULES: readonly ValueRule[] = [base64UserPass, cardNumber, usSsn, iban, nationalIds, phone, email];

/**
 * Which BUILTIN_PII_RULES apply to a text (bit i = rule i's `applies`), evaluated in one function
 * instead of seven calls through the rule objects. Each line restates that rule's `applies`;
 * test/pii-mask.test.ts checks the two agree on every rule, with a control.
 */
export function builtinPiiMask(f: TextFeatures, t: string): number {
  let mask = 0;
  if (f.length >= 12 && f.upper > 0 && f.digits + f.upper >= 3 && (f.equals || (t.length <= 256 && !t.includes(' ')))) mask |= 1; // base64UserPass
  if (f.cardRun >= 13) mask |= 2; // cardNumber
  if (f.cardRun >= 9 && f.dash && f.idGroups >= 3) mask |= 4; // usSsn
  if (f.ibanStart && f.length >= 15) mask |= 8; // iban
  if (f.digits >= 6 || (f.upper >= 5 && f.digits >= 4) || f.upper >= 9) mask |= 16; // nationalIds
  if (f.phoneRun >= 8) mask |= 32; // phone
  if (f.at && f.length >= 6) mask |= 64; // email
  return mask;
}

/** Exposed for tests of the checks the rules rely on. */
export const _checks = { luhnValid, cardBrandValid };
