/**
 * Option validation (pino style: everything is checked up front, once, with a message that names
 * the offending field) and resolution into the internal configuration the redactor runs on.
 */
import { randomBytes } from 'node:crypto';
import { RedactConfigError } from './errors';
import { BUILTIN_KEY_LABELS, splitKeyWords } from './key-rules';
import { compileCustomPattern } from './custom-patterns';
import { BUILTIN_RULE_TYPES } from './builtin-types';
import type { RedactionLimits, RedactionMode, RedactorOptions } from './types';

export const DEFAULT_LIMITS: Readonly<Required<RedactionLimits>> = Object.freeze({
  maxDepth: 32,
  maxArrayLength: 1000,
  maxStringLength: 8192,
  maxTotalBytes: 65536,
});

const LIMIT_RANGES: Record<keyof RedactionLimits, [number, number]> = {
  maxDepth: [1, 1000],
  maxArrayLength: [1, 10_000_000],
  maxStringLength: [16, 100_000_000],
  maxTotalBytes: [256, 1_000_000_000],
};

const MODES: readonly RedactionMode[] = ['mask', 'drop', 'hmac'];
const OPTION_NAMES = ['keys', 'allowKeys', 'patterns', 'disable', 'modes', 'defaultMode', 'hmacKey', 'hmacKeyId', 'highEntropy', 'limits'];
const MIN_HMAC_KEY_BYTES = 16;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,32}$/;

/** One random key per process, so pseudonyms from several default redactors still join. */
let processKey: Buffer | undefined;

export interface ResolvedOptions {
  extraKeys: string[];
  allowKeys: string[];
  customRules: ReturnType<typeof compileCustomPattern>[];
  disabled: Set<string>;
  disabledKeyLabels: Set<string>;
  modes: Map<string, RedactionMode>;
  defaultMode: RedactionMode;
  hmacKey: Buffer;
  keyId: string;
  highEntropy: boolean;
  limits: Required<RedactionLimits>;
}

const fail = (code: ConstructorParameters<typeof RedactConfigError>[0], field: string, detail: string): never => {
  throw new RedactConfigError(code, field, detail);
};

const show = (v: unknown): string => {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', field, `must be an array of strings, got ${show(value)}`);
  return (value as unknown[]).map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', `${field}[${i}]`, `must be a non-empty string, got ${show(item)}`);
    return item as string;
  });
}

function keyNameList(value: unknown, field: string): string[] {
  const list = stringList(value, field);
  list.forEach((k, i) => {
    if (splitKeyWords(k).length === 0) fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', `${field}[${i}]`, `key name ${show(k)} has no letters or digits`);
  });
  return list;
}

function mode(value: unknown, field: string): RedactionMode {
  if (!MODES.includes(value as RedactionMode)) fail('MCPTRAIL_ERR_REDACT_INVALID_MODE', field, `unknown mode ${show(value)} (known: ${MODES.join(', ')})`);
  return value as RedactionMode;
}

function limits(value: unknown): Required<RedactionLimits> {
  if (value === undefined) return { ...DEFAULT_LIMITS };
  if (!isPlainObject(value)) return fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', 'limits', `must be an object, got ${show(value)}`);
  const out = { ...DEFAULT_LIMITS };
  for (const [name, v] of Object.entries(value)) {
    const range = LIMIT_RANGES[name as keyof RedactionLimits];
    if (!range) fail('MCPTRAIL_ERR_REDACT_UNKNOWN_OPTION', `limits.${name}`, `unknown limit (known: ${Object.keys(LIMIT_RANGES).join(', ')})`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range![0] || v > range![1]) {
      fail('MCPTRAIL_ERR_REDACT_INVALID_LIMIT', `limits.${name}`, `must be an integer from ${range![0]} to ${range![1]}, got ${typeof v === 'number' ? v : show(v)}`);
    }
    out[name as keyof RedactionLimits] = v as number;
  }
  return out;
}

function hmacKey(value: unknown): Buffer {
  if (value === undefined) {
    processKey ??= randomBytes(32);
    return processKey;
  }
  let key: Buffer | undefined;
  if (typeof value === 'string') key = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) key = Buffer.from(value);
  if (!key) return fail('MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY', 'hmacKey', `must be a string or Uint8Array, got ${show(value)}`);
  // Never echo the key itself: the message names the field and the length only.
  if (key.length < MIN_HMAC_KEY_BYTES) fail('MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY', 'hmacKey', `must be at least ${MIN_HMAC_KEY_BYTES} bytes, got ${key.length}`);
  return key;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) return fail('MCPTRAIL_ERR_REDACT_OPTIONS_NOT_OBJ', 'options', `must be an object, got ${show(options)}`);
  const o = options as RedactorOptions & Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.includes(name)) fail('MCPTRAIL_ERR_REDACT_UNKNOWN_OPTION', name, `unknown option (known: ${OPTION_NAMES.join(', ')})`);
  }

  const extraKeys = keyNameList(o.keys, 'keys');
  const allowKeys = keyNameList(o.allowKeys, 'allowKeys');

  if (o.patterns !== undefined && !Array.isArray(o.patterns)) fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', 'patterns', `must be an array, got ${show(o.patterns)}`);
  const customRules = (o.patterns ?? []).map((p, i) => compileCustomPattern(p, i));
  const customTypes = new Set<string>();
  customRules.forEach((r, i) => {
    if (customTypes.has(r.type)) fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', `patterns[${i}].type`, `duplicate pattern type '${r.type}'`);
    customTypes.add(r.type);
  });

  const userKeyLabels = extraKeys.map((k) => `key:${splitKeyWords(k).join('_')}`);
  const knownTypes = [...BUILTIN_RULE_TYPES, ...customTypes, 'key', ...BUILTIN_KEY_LABELS.map((l) => `key:${l}`), ...userKeyLabels];
  const knownList = () => knownTypes.join(', ');

  const disabled = new Set<string>();
  const disabledKeyLabels = new Set<string>();
  stringList(o.disable, 'disable').forEach((t, i) => {
    if (BUILTIN_RULE_TYPES.includes(t)) disabled.add(t);
    else if (t.startsWith('key:') && BUILTIN_KEY_LABELS.includes(t.slice(4))) disabledKeyLabels.add(t.slice(4));
    else fail('MCPTRAIL_ERR_REDACT_UNKNOWN_RULE_TYPE', `disable[${i}]`, `unknown built-in rule type '${t}' (known: ${[...BUILTIN_RULE_TYPES, ...BUILTIN_KEY_LABELS.map((l) => `key:${l}`)].join(', ')})`);
  });

  const modes = new Map<string, RedactionMode>();
  if (o.modes !== undefined) {
    if (!isPlainObject(o.modes)) fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', 'modes', `must be an object mapping rule types to modes, got ${show(o.modes)}`);
    for (const [type, m] of Object.entries(o.modes)) {
      if (!knownTypes.includes(type)) fail('MCPTRAIL_ERR_REDACT_UNKNOWN_RULE_TYPE', `modes.${type}`, `unknown rule type '${type}' (known: ${knownList()})`);
      modes.set(type, mode(m, `modes.${type}`));
    }
  }
  customRules.forEach((r, i) => {
    if (r.mode !== undefined && !modes.has(r.type)) modes.set(r.type, mode(r.mode, `patterns[${i}].mode`));
  });

  const defaultMode = o.defaultMode === undefined ? 'mask' : mode(o.defaultMode, 'defaultMode');
  const key = hmacKey(o.hmacKey);
  if (o.hmacKeyId !== undefined && (typeof o.hmacKeyId !== 'string' || !KEY_ID_RE.test(o.hmacKeyId))) {
    fail('MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY', 'hmacKeyId', `must be 1-32 characters of A-Z a-z 0-9 . _ -, got ${show(o.hmacKeyId)}`);
  }
  const keyId = o.hmacKeyId ?? (o.hmacKey === undefined ? 'ephemeral' : 'k1');
  if (o.highEntropy !== undefined && typeof o.highEntropy !== 'boolean') fail('MCPTRAIL_ERR_REDACT_INVALID_OPTION', 'highEntropy', `must be a boolean, got ${show(o.highEntropy)}`);

  return {
    extraKeys,
    allowKeys,
    customRules,
    disabled,
    disabledKeyLabels,
    modes,
    defaultMode,
    hmacKey: key,
    keyId,
    highEntropy: o.highEntropy === true,
    limits: limits(o.limits),
  };
}
