/**
 * Query filters shared by the HTTP API (`?session=…`) and the CLI (`--session …`): one
 * parser, so both accept the same values and reject bad ones with the same message,
 * naming the parameter the way the caller spelled it.
 */
import { AUDIT_OUTCOMES, type AuditOutcome } from '@mcptrail/conventions';
import { ALERT_LEVELS, type AlertLevel, type AlertQuery, type BaselineKind, type BaselineQuery } from '../detect/types';
import type { AuditQuery } from '../store/types';
import { ApiError } from './errors';

export type ParamStyle = 'query' | 'flag';

/** Reads one raw value by its API parameter name (`trace_id`, `after_seq`). */
export type ParamReader = (name: string) => string | undefined;

export const MAX_LIMIT = 1000;

function label(name: string, style: ParamStyle): string {
  return style === 'flag' ? `--${name.replace(/_/g, '-')}` : `'${name}'`;
}

function bad(name: string, style: ParamStyle, detail: string): ApiError {
  return new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `${style === 'flag' ? 'option ' : 'query parameter '}${label(name, style)} ${detail}`, name);
}

const RELATIVE = /^(\d+)(s|m|h|d|w)$/;
/** 0000-01-01T00:00:00Z: earlier times have no 4-digit ISO 8601 form (and the store compares text). */
const MIN_TIME_MS = -62_167_219_200_000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** ISO 8601 date/time, or a relative age (`15m`, `24h`, `7d`) counted back from `now`. Returns ISO 8601 UTC with ms. */
export function parseTimeBound(text: string, name: string, style: ParamStyle, now: number): string {
  const rel = RELATIVE.exec(text);
  if (rel) {
    const ms = now - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
    // `99999999999999d` is a well-formed age that no Date can hold: name it rather than fail inside.
    if (!Number.isFinite(ms) || ms < MIN_TIME_MS) throw bad(name, style, `is an age reaching before year 0 (${JSON.stringify(text.slice(0, 32))}); use a smaller age or an ISO 8601 time`);
    return new Date(ms).toISOString();
  }
  // Date-only or full date-time; a bare number is not accepted (ambiguous units).
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms) && ms >= MIN_TIME_MS) return new Date(ms).toISOString();
  }
  throw bad(name, style, `must be an ISO 8601 time (2026-01-31T12:00:00Z) or an age like 15m, 24h, 7d; got ${JSON.stringify(text.slice(0, 64))}`);
}

function parseInteger(text: string, name: string, style: ParamStyle, min: number, max: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min || Number(text) > max) {
    throw bad(name, style, `must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function nonEmpty(text: string, name: string, style: ParamStyle): string {
  if (text.length === 0 || text.length > 1024) throw bad(name, style, 'must be 1 to 1024 characters');
  return text;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], name: string, style: ParamStyle): T {
  if (!(allowed as readonly string[]).includes(text)) throw bad(name, style, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(text)}`);
  return text as T;
}

/** API parameter → AuditQuery field. */
export const AUDIT_PARAMS = {
  session: 'session_id',
  actor: 'actor_id',
  tool: 'tool',
  outcome: 'outcome',
  method: 'method',
  service: 'service',
  trace_id: 'trace_id',
  chain: 'chain_id',
  since: 'since',
  until: 'until',
  after_seq: 'after_seq',
  limit: 'limit',
} as const satisfies Record<string, keyof AuditQuery>;

export const ALERT_PARAMS = ['rule', 'level', 'since', 'limit'] as const;
export const BASELINE_PARAMS = ['service', 'tool', 'actor', 'kind', 'limit'] as const;

/** Rejects parameters a route does not know (a typo must not silently widen a query). */
export function rejectUnknown(names: Iterable<string>, allowed: readonly string[], style: ParamStyle): void {
  for (const n of names) {
    if (!allowed.includes(n)) throw bad(n, style, `is not a known filter (known: ${allowed.join(', ')})`);
  }
}

export function parseAuditQuery(get: ParamReader, style: ParamStyle, now: number = Date.now()): AuditQuery {
  const q: AuditQuery = {};
  const text = (name: string) => {
    const v = get(name);
    return v === undefined ? undefined : nonEmpty(v, name, style);
  };
  const session = text('session');
  if (session !== undefined) q.session_id = session;
  const actor = text('actor');
  if (actor !== undefined) q.actor_id = actor;
  const tool = text('tool');
  if (tool !== undefined) q.tool = tool;
  const method = text('method');
  if (method !== undefined) q.method = method;
  const service = text('service');
  if (service !== undefined) q.service = service;
  const chain = text('chain');
  if (chain !== undefined) q.chain_id = chain;
  const outcome = get('outcome');
  if (outcome !== undefined) q.outcome = oneOf<AuditOutcome>(outcome, AUDIT_OUTCOMES, 'outcome', style);
  const traceId = get('trace_id');
  if (traceId !== undefined) {
    if (!/^[0-9a-fA-F]{32}$/.test(traceId)) throw bad('trace_id', style, 'must be 32 hex characters');
    q.trace_id = traceId.toLowerCase();
  }
  const since = get('since');
  if (since !== undefined) q.since = parseTimeBound(since, 'since', style, now);
  const until = get('until');
  if (until !== undefined) q.until = parseTimeBound(until, 'until', style, now);
  const afterSeq = get('after_seq');
  if (afterSeq !== undefined) q.after_seq = parseInteger(afterSeq, 'after_seq', style, 0, Number.MAX_SAFE_INTEGER);
  const limit = get('limit');
  if (limit !== undefined) q.limit = parseInteger(limit, 'limit', style, 1, MAX_LIMIT);
  return q;
}

export function parseAlertQuery(get: ParamReader, style: ParamStyle, now: number = Date.now()): AlertQuery {
  const q: AlertQuery = {};
  const rule = get('rule');
  if (rule !== undefined) q.rule_id = nonEmpty(rule, 'rule', style);
  const level = get('level');
  if (level !== undefined) q.level = oneOf<AlertLevel>(level, ALERT_LEVELS, 'level', style);
  const since = get('since');
  if (since !== undefined) q.since = parseTimeBound(since, 'since', style, now);
  const limit = get('limit');
  if (limit !== undefined) q.limit = parseInteger(limit, 'limit', style, 1, MAX_LIMIT);
  return q;
}

const BASELINE_KINDS = ['service', 'service_tool', 'actor', 'actor_tool', 'actor_service'] as const satisfies readonly BaselineKind[];

export function parseBaselineQuery(get: ParamReader, style: ParamStyle): BaselineQuery {
  const q: BaselineQuery = {};
  for (const name of ['service', 'tool', 'actor'] as const) {
    const v = get(name);
    if (v !== undefined) q[name] = nonEmpty(v, name, style);
  }
  const kind = get('kind');
  if (kind !== undefined) q.kind = oneOf(kind, BASELINE_KINDS, 'kind', style);
  const limit = get('limit');
  if (limit !== undefined) q.limit = parseInteger(limit, 'limit', style, 1, MAX_LIMIT);
  return q;
}
