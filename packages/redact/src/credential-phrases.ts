/**
 * Credentials written the way people and shells write them, not as `key=value`:
 * `--password hunter2`, `mysql -uroot -phunter2`, `curl -u admin:hunter2`, `the password is hunter2`.
 * Each scan is a single forward pass with bounded look-around, so linear in the text.
 */
import { type KeyMatcher, keyType } from './key-rules';

export type PhraseEmit = (start: number, end: number, type: string) => void;

const MAX_OPTION_NAME = 64;
const MAX_VALUE = 256;

const isSpace = (c: number) => c === 32 || c === 9;
const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isQuote = (c: number) => c === 34 || c === 39 || c === 96;
const isOptionChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46;

/** [start, end) of a value starting at `v`: a quoted string (without its quotes) or a bare word. */
function valueSpan(text: string, v: number): [number, number] {
  const q = text.charCodeAt(v);
  if (isQuote(q)) {
    const stop = Math.min(text.length, v + 1 + MAX_VALUE);
    let e = v + 1;
    while (e < stop && text.charCodeAt(e) !== q && text.charCodeAt(e) !== 10) e++;
    return [v + 1, e];
  }
  let e = v;
  while (e < text.length && !isBlank(text.charCodeAt(e)) && !isQuote(text.charCodeAt(e))) e++;
  return [v, e];
}

const isMarker = (text: string, at: number) => text.startsWith('[REDACTED', at) || text.startsWith('hmac:', at);

// --- long options: `--password hunter2`, `--client-secret 's3cr3t'`, `--user admin:hunter2` ----

/** Options whose value is `user:password` (curl, wget): only the part after the first ':' is secret. */
const USER_PASSWORD_OPTIONS = new Set(['user', 'proxy-user']);

export function scanLongOptions(text: string, keys: KeyMatcher, emit: PhraseEmit): void {
  for (let i = text.indexOf('--'); i >= 0; i = text.indexOf('--', i + 2)) {
    if (i > 0 && !isBlank(text.charCodeAt(i - 1)) && !isQuote(text.charCodeAt(i - 1))) continue;
    let e = i + 2;
    while (e < text.length && e - i - 2 < MAX_OPTION_NAME && isOptionChar(text.charCodeAt(e))) e++;
    if (e - i - 2 < 2) continue;
    const name = text.slice(i + 2, e);
    const sep = text.charCodeAt(e);
    if (USER_PASSWORD_OPTIONS.has(name) && (sep === 61 || isSpace(sep))) {
      emitUserPassword(text, e + 1, keys, emit);
      i = e - 2;
      continue;
    }
    if (!isSpace(sep)) continue; // `--password=x` is a key=value pair: scanKeyValues has it
    let v = e;
    while (v < text.length && v - e < 4 && isSpace(text.charCodeAt(v))) v++;
    if (v >= text.length || text.charCodeAt(v) === 45 || isBlank(text.charCodeAt(v))) continue; // a flag, not a value
    const label = keys.match(name);
    if (label === null || isMarker(text, v)) continue;
    const [s, end] = valueSpan(text, v);
    if (end > s) emit(s, end, keyType(label));
    i = Math.max(i, end - 2);
  }
}

/** `admin:hunter2` at `v`: reports `hunter2` as a password. */
function emitUserPassword(text: string, v: number, keys: KeyMatcher, emit: PhraseEmit): void {
  const label = keys.match('password');
  if (label === null) return;
  const [s, e] = valueSpan(text, v);
  const colon = text.indexOf(':', s);
  if (colon < 0 || colon + 1 >= e || isMarker(text, colon + 1)) return;
  emit(colon + 1, e, keyType(label));
}

// --- short options of commands known to take a password on the command line ------------------

/** Command → its password flag. `-p` means "port" to ssh, psql and docker, so context decides. */
const PASSWORD_FLAGS: ReadonlyMap<string, string> = new Map([
  ['mysql', 'p'], ['mysqldump', 'p'], ['mysqladmin', 'p'], ['mysqlimport', 'p'], ['mysqlcheck', 'p'], ['mysqlshow', 'p'],
  ['mysqlsh', 'p'], ['mariadb', 'p'], ['mariadb-dump', 'p'], ['mariadb-admin', 'p'],
  ['mongo', 'p'], ['mongosh', 'p'], ['mongodump', 'p'], ['mongorestore', 'p'], ['mongoexport', 'p'], ['mongoimport', 'p'],
  ['sshpass', 'p'], ['redis-cli', 'a'], ['keydb-cli', 'a'], ['curl', 'u'],
]);
const COMMAND_RE = /(?:^|[\s;|&(`$/])(mysql(?:dump|admin|import|check|show|sh)?|mariadb(?:-dump|-admin)?|mongo(?:sh|dump|restore|export|import)?|sshpass|redis-cli|keydb-cli|curl)(?=\s)/g;
/** Where a command's arguments end: a new line or a shell separator. */
const isSegmentEnd = (c: number) => c === 10 || c === 13 || c === 59 || c === 124 || c === 38;

export function scanCommandLines(text: string, keys: KeyMatcher, emit: PhraseEmit): void {
  COMMAND_RE.lastIndex = 0;
  for (let m = COMMAND_RE.exec(text); m !== null; m = COMMAND_RE.exec(text)) {
    const flag = PASSWORD_FLAGS.get(m[1]!)!;
    const end = scanCommandArguments(text, m.index + m[0].length, flag, keys, emit);
    COMMAND_RE.lastIndex = Math.max(COMMAND_RE.lastIndex, end);
  }
}

/** Walks one command's arguments from `from`; returns where they end. */
function scanCommandArguments(text: string, from: number, flag: string, keys: KeyMatcher, emit: PhraseEmit): number {
  const label = keys.match('password');
  const flagCode = flag.charCodeAt(0);
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSegmentEnd(c)) return i;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const [s, e] = valueSpan(text, i);
    const tokenEnd = isQuote(c) ? Math.min(text.length, e + 1) : e;
    // `-p`, `-pVALUE` (not `--p…`): the value is glued on or is the next word.
    if (label !== null && c === 45 && text.charCodeAt(i + 1) === flagCode && s === i) {
      let vs = i + 2;
      let ve = e;
      let next = tokenEnd;
      if (vs >= e) {
        let v = e;
        while (v < text.length && isSpace(text.charCodeAt(v))) v++;
        if (v >= text.length || isSegmentEnd(text.charCodeAt(v)) || text.charCodeAt(v) === 45) {
          i = v;
          continue;
        }
        [vs, ve] = valueSpan(text, v);
        next = isQuote(text.charCodeAt(v)) ? Math.min(text.length, ve + 1) : ve;
      }
      if (flag === 'u') {
        const colon = text.indexOf(':', vs);
        vs = colon >= 0 && colon < ve ? colon + 1 : ve;
      }
      if (ve > vs && !isMarker(text, vs)) emit(vs, ve, keyType(label));
      i = next;
      continue;
    }
    i = Math.max(tokenEnd, i + 1);
  }
  return i;
}

// --- prose: `the password is hunter2`, `your PIN was "4821"` ----------------------------------

const PROSE_RE = /\b(password|passwd|passphrase|passcode|pwd|pin)\s{1,3}(?:is|was)\s{1,3}/gi;
/** What follows "password is" when it describes the password rather than states it. */
const PROSE_STOP_WORDS = new Set([
  'a', 'an', 'the', 'not', 'no', 'too', 'very', 'now', 'still', 'also', 'just', 'being', 'been', 'required', 'incorrect',
  'invalid', 'wrong', 'missing', 'empty', 'correct', 'set', 'unset', 'valid', 'strong', 'weak', 'blank', 'null', 'none',
  'nil', 'undefined', 'ok', 'okay', 'optional', 'mandatory', 'case-sensitive', 'same', 'different', 'here', 'there', 'in',
  'on', 'at', 'for', 'to', 'from', 'this', 'that', 'it', 'your', 'my', 'our', 'their', 'his', 'her', 'its', 'what', 'short',
  'long', 'secure', 'insecure', 'safe', 'unsafe', 'visible', 'good', 'bad', 'fine', 'new', 'old', 'only', 'never', 'always',
  'stored', 'hashed', 'encrypted', 'protected', 'needed', 'used', 'given', 'provided', 'saved', 'updated', 'shown', 'hidden',
  'masked', 'redacted', 'known', 'unknown', 'reset', 'changed', 'expired', 'locked', 'disabled', 'enabled', 'accepted',
  'rejected', 'sent', 'removed', 'deleted', 'leaked', 'compromised', 'displayed', 'generated', 'random', 'unique', 'due',
  'about', 'like', 'likely', 'probably', 'currently', 'otherwise', 'either', 'neither', 'one', 'two', 'both', 'all', 'any',
  'and', 'or', 'but', 'if', 'when', 'because', 'so', 'as', 'by', 'with', 'without', 'of', 'ready', 'available', 'unavailable',
  'active', 'inactive', 'weaker', 'stronger', 'longer', 'shorter', 'ignored', 'case', 'same.', 'default',
]);
/** Bare words with these endings read as adjectives or participles (`is outdated`, `is changing`). */
const DESCRIPTIVE_ENDING_RE = /^[a-z]+(?:ed|ing|ly|ble|ful|less|ous|ive|ent|ant|ary)$/;

export function scanProsePasswords(text: string, keys: KeyMatcher, emit: PhraseEmit): void {
  PROSE_RE.lastIndex = 0;
  for (let m = PROSE_RE.exec(text); m !== null; m = PROSE_RE.exec(text)) {
    const v = m.index + m[0].length;
    if (v >= text.length || isMarker(text, v)) continue;
    const quoted = isQuote(text.charCodeAt(v));
    let [s, e] = valueSpan(text, v);
    if (!quoted) {
      while (e > s && /[.,;:!?)\]]/.test(text[e - 1]!)) e--; // the sentence's punctuation, not the password's
      const word = text.slice(s, e);
      const lower = word.toLowerCase();
      if (PROSE_STOP_WORDS.has(lower) || (word === lower && DESCRIPTIVE_ENDING_RE.test(word))) continue;
    }
    const label = keys.match(m[1]!);
    if (label === null || e <= s) continue;
    emit(s, e, keyType(label));
    PROSE_RE.lastIndex = Math.max(PROSE_RE.lastIndex, e);
  }
}
