/**
 * Generic credentials, the way secret scanners find them (gitleaks' generic-api-key): a name that
 * says "key/secret/token/credential/auth/access/api" next to a value that looks random (letters
 * and digits, ≥ 3.5 bits of entropy per character), minus names that hold ids rather than secrets
 * (`cache_key`, `primary_key`, `key_id`, `access_count`, …) and values that are placeholders.
 */
import { shannonEntropy } from './checksums';
import { KEY_SCAN_LIMIT, splitKeyWords } from './key-rules';
import { KeywordIndex } from './rules/keyword-index';

export const GENERIC_SECRET_TYPE = 'generic_secret';

const SECRET_WORDS = new Set(['key', 'keys', 'token', 'tokens', 'secret', 'secrets', 'credential', 'credentials', 'creds', 'cred', 'auth', 'access', 'api', 'apikey', 'pass', 'pwd', 'passwd', 'signature', 'sig', 'hmac', 'salt', 'nonce', 'private']);
/** Words that make a "key" name an identifier: these keep their value. */
const ID_WORDS = new Set([
  'id', 'ids', 'name', 'names', 'alias', 'type', 'types', 'count', 'size', 'length', 'len', 'url', 'uri', 'endpoint', 'path',
  'file', 'format', 'version', 'hash', 'sha', 'digest', 'checksum', 'fingerprint', 'cache', 'idempotency', 'primary', 'foreign',
  'public', 'pub', 'sort', 'partition', 'range', 'row', 'object', 'bucket', 'index', 'idx', 'natural', 'schema', 'sequence',
  'board', 'code', 'press', 'pressed', 'stroke', 'map', 'mapping', 'field', 'column', 'list', 'level', 'log', 'mode', 'time',
  'expires', 'expiry', 'expiration', 'ttl', 'region', 'scope', 'scopes', 'method', 'policy', 'provider', 'date', 'at', 'ms',
  'kind', 'label', 'prefix', 'suffix', 'region', 'zone', 'group', 'role', 'user', 'username', 'email', 'owner', 'tenant',
  'request', 'trace', 'span', 'session', 'message', 'event', 'order', 'lookup', 'dedup', 'dedupe', 'lock', 'tokenizer', 'max',
  'min', 'input', 'output', 'used', 'usage', 'limit', 'total', 'remaining', 'vault', 'store', 'ring', 'pair', 'frame', 'up',
  'down', 'left', 'right', 'control', 'modifier', 'author', 'authority', 'level', 'rotation', 'strategy', 'algorithm', 'alg',
]);

const decisions = new Map<string, boolean>();
/** A secret word is a whole word of the name, so it occurs in the name's letters and digits: names with none are rejected in one pass. */
const SECRET_WORD_INDEX = new KeywordIndex([...SECRET_WORDS]);

/** Does this name announce a secret in the generic sense (and not an identifier)? Cached. */
export function isGenericSecretName(name: string): boolean {
  if (!SECRET_WORD_INDEX.occursInAlnum(name, KEY_SCAN_LIMIT)) return false;
  let d = decisions.get(name);
  if (d !== undefined) return d;
  d = decideGenericName(name);
  if (decisions.size > 4096) decisions.clear();
  decisions.set(name, d);
  return d;
}

/** isGenericSecretName without its prefilter and cache (the reference the prefilter is tested against). */
export function decideGenericName(name: string): boolean {
  const words = splitKeyWords(name);
  return words.some((w) => SECRET_WORDS.has(w)) && !words.some((w) => ID_WORDS.has(w));
}

const VALUE_RE = /^[A-Za-z0-9_.=+/~-]{10,150}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDER_RE = /^(?:(.)\1+|x{6,}|changeme|example\w*|your[_-]?\w*|placeholder|redacted|\*+|test\w*|dummy\w*|sample\w*)$/i;
const DOTTED_WORDS_RE = /^[a-z]+(?:[._-][a-z]+)+$/i; // `app.settings.key` is a name, not a secret

/** Does a value under a generic secret name look like a credential? */
export function looksLikeGenericSecret(value: string): boolean {
  if (!VALUE_RE.test(value) || PLACEHOLDER_RE.test(value) || DOTTED_WORDS_RE.test(value)) return false;
  if (value.startsWith('[REDACTED') || value.startsWith('hmac:')) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  if (UUID_RE.test(value)) return true; // a UUID under a secret name (`api_key`) is a key
  return shannonEntropy(value) >= 3.5;
}
