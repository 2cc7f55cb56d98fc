/**
 * Key rules: decide from a property or attribute name alone that its value is secret.
 *
 * Keys are split into lowercase words (camelCase, separators, letter/digit changes), so
 * apiKey ≡ api_key ≡ x-api-key ≡ API-KEY. Matching is deliberately two-tier to keep audit value:
 * - strong terms (password, secret, apikey, authorization, cookie, …) match anywhere in the key:
 *   a key mentioning them is fail-closed even when it looks harmless (`password_hint`);
 * - weak terms (token, auth, session id, pin, ssn, …) must be the key's head noun, i.e. its last
 *   word(s) once trailing numbers and generic suffixes (`_value`, `_header`) are removed, so
 *   `access_token` and `X-Auth-Token` match while `max_tokens`, `tokens_used`, `author`,
 *   `session_count` and `spin` do not.
 */

import { KeywordIndex } from './rules/keyword-index';

interface Term {
  /** Normalized form: lowercase letters and digits only. */
  readonly norm: string;
  /** Label in the rule type `key:<label>`. */
  readonly label: string;
}

const STRONG_TERMS: readonly Term[] = [
  { norm: 'password', label: 'password' },
  { norm: 'passwd', label: 'password' },
  { norm: 'passphrase', label: 'password' },
  { norm: 'passcode', label: 'password' },
  { norm: 'secret', label: 'secret' },
  { norm: 'credential', label: 'credential' },
  { norm: 'privatekey', label: 'private_key' },
  { norm: 'privkey', label: 'private_key' },
  { norm: 'apikey', label: 'api_key' },
  { norm: 'authorization', label: 'authorization' },
  { norm: 'cookie', label: 'cookie' },
  { norm: 'creditcard', label: 'credit_card' },
  { norm: 'cardnumber', label: 'card_number' },
  { norm: 'connectionstring', label: 'connection_string' },
];

const WEAK_TERMS: readonly Term[] = [
  { norm: 'token', label: 'token' },
  { norm: 'pwd', label: 'password' },
  { norm: 'pass', label: 'password' },
  { norm: 'auth', label: 'auth' },
  { norm: 'bearer', label: 'auth' },
  { norm: 'jwt', label: 'token' },
  { norm: 'session', label: 'session' },
  { norm: 'sessionid', label: 'session' },
  { norm: 'sessionkey', label: 'session' },
  { norm: 'sid', label: 'session' },
  { norm: 'accesskey', label: 'access_key' },
  { norm: 'accesskeyid', label: 'access_key' },
  { norm: 'secretkey', label: 'secret' },
  { norm: 'signingkey', label: 'private_key' },
  { norm: 'encryptionkey', label: 'private_key' },
  { norm: 'masterkey', label: 'private_key' },
  { norm: 'accountkey', label: 'access_key' },
  { norm: 'sharedaccesskey', label: 'access_key' },
  { norm: 'sig', label: 'signature' },
  { norm: 'otp', label: 'otp' },
  { norm: 'totp', label: 'otp' },
  { norm: 'pin', label: 'pin' },
  { norm: 'pincode', label: 'pin' },
  { norm: 'ssn', label: 'ssn' },
  { norm: 'socialsecuritynumber', label: 'ssn' },
  { norm: 'cvv', label: 'card_number' },
  { norm: 'cvc', label: 'card_number' },
  { norm: 'securitycode', label: 'card_number' },
  { norm: 'dsn', label: 'connection_string' },
  { norm: 'signature', label: 'signature' },
  { norm: 'subscriptionkey', label: 'api_key' },
  { norm: 'authkey', label: 'api_key' },
  { norm: 'clientkey', label: 'private_key' },
  { norm: 'tlskey', label: 'private_key' },
  { norm: 'sslkey', label: 'private_key' },
  { norm: 'pesel', label: 'national_id' },
  { norm: 'nationalid', label: 'national_id' },
  { norm: 'taxid', label: 'national_id' },
  { norm: 'nino', label: 'national_id' },
  { norm: 'aadhaar', label: 'national_id' },
  { norm: 'passport', label: 'national_id' },
];

/** Suffix words that do not change what a key holds (`auth_header`, `token_value`). */
const GENERIC_SUFFIXES = new Set(['value', 'val', 'header', 'headers', 'string', 'str', 'data', 'raw', 'b64', 'base64', 'hex', 'text']);

/** Weak terms at least this long also match glued onto a word (`accesstoken`, `xauthtoken`). */
const MIN_GLUED_LENGTH = 5;

/** Every built-in key rule label, for `modes`/`disable` validation. */
export const BUILTIN_KEY_LABELS: readonly string[] = [...new Set([...STRONG_TERMS, ...WEAK_TERMS].map((t) => t.label))].sort();

/** Characters of a key splitKeyWords looks at. */
export const KEY_SCAN_LIMIT = 256;

/** Split a key into lowercase words: `XApiKey` → x, api, key; `HTTP_AUTHORIZATION2` → http, authorization, 2. */
export function splitKeyWords(key: string): string[] {
  // Words are sliced from the key (one allocation per word, not per character); a word holds only
  // ASCII letters and digits, so lower-casing it cannot change its length.
  const words: string[] = [];
  let start = -1;
  let prevKind = 0; // 0 none, 1 lower, 2 upper, 3 digit
  const n = Math.min(key.length, KEY_SCAN_LIMIT);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    const kind = c >= 97 && c <= 122 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 48 && c <= 57 ? 3 : 0;
    if (kind === 0) {
      if (start >= 0) words.push(key.slice(start, i).toLowerCase());
      start = -1;
      prevKind = 0;
      continue;
    }
    if (start < 0) start = i;
    else if ((kind === 2 && prevKind === 1) || (kind === 3) !== (prevKind === 3)) {
      words.push(key.slice(start, i).toLowerCase()); // fooBar, foo2, 2foo
      start = i;
    } else if (kind === 1 && prevKind === 2 && i - start > 1) {
      words.push(key.slice(start, i - 1).toLowerCase()); // APIKey: the last capital starts the next word
      start = i - 1;
    }
    prevKind = kind;
  }
  if (start >= 0) words.push(key.slice(start, n).toLowerCase());
  return words;
}

/** Lowercase letters and digits only: the form allowKeys and keys are compared in. */
export function normalizeKey(key: string): string {
  return splitKeyWords(key).join('');
}

const CACHE_LIMIT = 4096;

const KEY_TYPES = new Map<string, string>();
/**
 * The rule type `key:<label>`, one string per label: Maps and Sets keyed on it then hash a string
 * whose hash is already cached instead of a fresh concatenation on every hit.
 */
export function keyType(label: string): string {
  let type = KEY_TYPES.get(label);
  if (type === undefined) {
    type = `key:${label}`;
    if (KEY_TYPES.size < 1024) KEY_TYPES.set(label, type);
  }
  return type;
}

export interface KeyMatcherConfig {
  extraKeys: readonly string[];
  allowKeys: readonly string[];
  /** Built-in labels switched off through `disable: ['key:<label>']`. */
  disabledLabels: ReadonlySet<string>;
}

export class KeyMatcher {
  private readonly strong: readonly Term[];
  private readonly weak: ReadonlyMap<string, Term>;
  private readonly weakGlued: readonly Term[];
  private readonly extra: readonly { words: string[]; norm: string; label: string }[];
  private readonly allow: ReadonlySet<string>;
  private readonly cache = new Map<string, string | null>();
  /**
   * Every term's normalized form, and `key` (X-…-Key headers): each way compute() matches needs one
   * of them inside the key's normalized form, so a key holding none is rejected in one pass,
   * without splitting it, hashing it or caching it (a name made up per call costs no more).
   */
  private readonly terms: KeywordIndex;

  constructor(config: KeyMatcherConfig) {
    const on = (t: Term) => !config.disabledLabels.has(t.label);
    this.strong = STRONG_TERMS.filter(on);
    const weak = WEAK_TERMS.filter(on);
    this.weak = new Map(weak.map((t) => [t.norm, t]));
    this.weakGlued = weak.filter((t) => t.norm.length >= MIN_GLUED_LENGTH);
    this.extra = config.extraKeys.map((k) => {
      const words = splitKeyWords(k);
      return { words, norm: words.join(''), label: words.join('_') };
    });
    this.allow = new Set(config.allowKeys.map(normalizeKey));
    const norms = [...this.strong, ...weak].map((t) => t.norm).concat(this.extra.map((e) => e.norm), ['key']);
    this.terms = new KeywordIndex([...new Set(norms)].filter((t) => t.length > 0));
  }

  /** False when no key rule can match `key`: none of the terms occurs in its letters and digits. */
  mayMatch(key: string): boolean {
    return this.terms.occursInAlnum(key, KEY_SCAN_LIMIT);
  }

  /** True when the key is on the allow list (whole key or, for dotted keys, the last segment). */
  isAllowed(key: string): boolean {
    if (this.allow.size === 0) return false;
    if (this.allow.has(normalizeKey(key))) return true;
    const dot = key.lastIndexOf('.');
    return dot >= 0 && this.allow.has(normalizeKey(key.slice(dot + 1)));
  }

  /** The key rule label (`password`, `token`, …) when the key names a secret, otherwise null. */
  match(key: string): string | null {
    if (!this.terms.occursInAlnum(key, KEY_SCAN_LIMIT)) return null;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const label = this.isAllowed(key) ? null : this.compute(key);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, label);
    return label;
  }

  private compute(key: string): string | null {
    const words = splitKeyWords(key);
    if (words.length === 0) return null;
    const norm = words.join('');
    for (const t of this.strong) if (norm.includes(t.norm)) return t.label;
    for (const e of this.extra) if (containsWordSequence(words, e.norm)) return e.label;

    let end = words.length;
    while (end > 1 && (isDigits(words[end - 1]!) || GENERIC_SUFFIXES.has(words[end - 1]!))) end--;
    let tail = '';
    for (let k = end - 1; k >= Math.max(0, end - 3); k--) {
      tail = words[k]! + tail;
      const t = this.weak.get(tail);
      if (t) return t.label;
    }
    const last = words[end - 1]!;
    for (const t of this.weakGlued) if (last.length > t.norm.length && last.endsWith(t.norm)) return t.label;
    if (last === 'key' && isExtensionHeader(key)) return 'api_key';
    return null;
  }
}

/**
 * `X-<anything>-Key` header names (`X-Auth-Key`, `X-Functions-Key`, `X-Goog-Api-Key`), also as the
 * last segment of a dotted attribute name (`http.request.header.x-auth-key`).
 */
function isExtensionHeader(key: string): boolean {
  const seg = key.slice(key.lastIndexOf('.') + 1);
  const words = splitKeyWords(seg);
  return words.length >= 3 && words[0] === 'x';
}

function isDigits(word: string): boolean {
  const c = word.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/** Does a run of whole consecutive words spell `norm`? (`ticket_code` in `user.ticketCode.v2`) */
function containsWordSequence(words: readonly string[], norm: string): boolean {
  for (let i = 0; i < words.length; i++) {
    let acc = '';
    for (let j = i; j < words.length && acc.length < norm.length; j++) {
      acc += words[j];
      if (acc === norm) return true;
    }
  }
  return false;
}
