/**
 * User-supplied value rules. A regex in a telemetry hot path must not backtrack catastrophically,
 * so patterns are screened before use: supported flags only, no backreferences, no unbounded
 * quantifier inside a repeated group (`(a+)+`, `(\w+\s?)*`, `(.*x){9}`), no empty match.
 */
import { RedactConfigError } from './errors';
import { BUILTIN_RULE_TYPES_SET } from './builtin-types';
import { type ValueRule, regexRule } from './value-rules';
import type { RedactionMode } from './types';

const ALLOWED_FLAGS = new Set(['g', 'i', 'm', 's', 'u']);
const TYPE_RE = /^[a-z][a-z0-9_]{0,47}$/;

export interface CustomRule extends ValueRule {
  readonly type: string;
  readonly mode: RedactionMode | undefined;
}

export function compileCustomPattern(p: unknown, i: number): CustomRule {
  const at = `patterns[${i}]`;
  if (typeof p !== 'object' || p === null) throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_OPTION', at, 'must be an object { type, pattern, mode? }');
  const { type, pattern, mode } = p as { type?: unknown; pattern?: unknown; mode?: unknown };
  if (typeof type !== 'string' || !TYPE_RE.test(type)) {
    throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_OPTION', `${at}.type`, `must match ${TYPE_RE} (lowercase letters, digits, _), got ${typeof type === 'string' ? `'${type}'` : typeof type}`);
  }
  if (BUILTIN_RULE_TYPES_SET.has(type)) {
    throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_OPTION', `${at}.type`, `'${type}' is a built-in rule type; use modes or disable to change it`);
  }
  let source: string;
  let flags: string;
  if (pattern instanceof RegExp) {
    source = pattern.source;
    flags = pattern.flags;
  } else if (typeof pattern === 'string' && pattern !== '') {
    source = pattern;
    flags = '';
  } else {
    throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_PATTERN', `${at}.pattern`, 'must be a RegExp or a non-empty string');
  }
  for (const f of flags) {
    if (!ALLOWED_FLAGS.has(f)) throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_PATTERN', `${at}.pattern`, `unsupported flag '${f}' (allowed: g, i, m, s, u)`);
  }
  const unsafe = unsafeConstruct(source);
  if (unsafe) throw new RedactConfigError('MCPTRAIL_ERR_REDACT_UNSAFE_PATTERN', `${at}.pattern`, `${unsafe} can backtrack catastrophically; rewrite it without nesting`);
  let re: RegExp;
  try {
    re = new RegExp(source, flags.includes('g') ? flags : `${flags}g`);
  } catch (err) {
    throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_PATTERN', `${at}.pattern`, `does not compile: ${(err as Error).message}`);
  }
  if (new RegExp(source, flags.replace('g', '')).test('')) {
    throw new RedactConfigError('MCPTRAIL_ERR_REDACT_INVALID_PATTERN', `${at}.pattern`, 'matches the empty string');
  }
  const rule = regexRule({ types: [type], re, applies: () => true });
  return { ...rule, type, mode: mode as RedactionMode | undefined };
}

/**
 * Describes the first risky construct in a regex source, or null. Tracks, per open group,
 * whether it contains an unbounded quantifier; quantifying such a group is rejected.
 */
export function unsafeConstruct(source: string): string | null {
  const groups: { unbounded: boolean }[] = [{ unbounded: false }];
  let lastAtomGroupUnbounded = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(n) || n === 'k')) return 'a backreference';
      i++;
      lastAtomGroupUnbounded = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastAtomGroupUnbounded = false;
      continue;
    }
    if (c === '(') {
      groups.push({ unbounded: false });
      lastAtomGroupUnbounded = false;
      continue;
    }
    if (c === ')') {
      const g = groups.pop() ?? { unbounded: false };
      lastAtomGroupUnbounded = g.unbounded;
      if (g.unbounded) groups[groups.length - 1]!.unbounded = true;
      continue;
    }
    const q = quantifierAt(source, i);
    if (q) {
      if (lastAtomGroupUnbounded && q.max > 1) return `a repeated group containing an unbounded quantifier ('${source.slice(Math.max(0, i - 20), i + q.length)}')`;
      if (q.max === Infinity) groups[groups.length - 1]!.unbounded = true;
      i += q.length - 1;
      if (source[i + 1] === '?' || source[i + 1] === '+') i++;
      lastAtomGroupUnbounded = false;
      continue;
    }
    lastAtomGroupUnbounded = false;
  }
  return null;
}

function quantifierAt(source: string, i: number): { max: number; length: number } | null {
  const c = source[i];
  if (c === '*' || c === '+') return { max: Infinity, length: 1 };
  if (c === '?') return { max: 1, length: 1 };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
    if (!m) return null;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { max, length: m[0].length };
  }
  return null;
}
