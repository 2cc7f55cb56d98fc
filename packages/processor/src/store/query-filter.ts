import { AUDIT_OUTCOMES } from '@mcptrail/conventions';
import { StoreError } from './errors';
import type { AuditQuery } from './types';

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;
/** Chain (= replica) ids: safe in file names, log lines and URLs. */
export const CHAIN_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}/;

function checkTime(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ISO_PREFIX.test(value) || Number.isNaN(Date.parse(value))) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `query filter '${name}' must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  }
  // Stored times are UTC with milliseconds; normalise so string comparison is time order.
  return new Date(value).toISOString();
}

export interface QueryFilter {
  /** SQL conditions joined with AND (empty: no WHERE). */
  where: string[];
  params: unknown[];
  limit: number;
}

/**
 * Validates an AuditQuery and turns it into SQL conditions over the filter columns, the
 * same for both stores; `placeholder(n)` spells the n-th parameter (`?` or `$n`).
 */
export function buildQueryFilter(q: AuditQuery, placeholder: (n: number) => string, opts: { oneIndex?: boolean } = {}): QueryFilter {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    params.push(value);
    where.push(`${condition} ${placeholder(params.length)}`);
  };
  let indexed = false;
  const eq = (column: string, value: unknown) => {
    if (value === undefined) return;
    if (typeof value !== 'string') {
      throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `query filter '${column}' must be a string, got ${typeof value}`);
    }
    // SQLite has no statistics here and, given two indexed equalities, may pick the broader one
    // (service over session: 630 ms instead of 1 ms at 200k records). The filters are written most
    // selective first, and `oneIndex` keeps every later one off its index (`+column`).
    add(`${opts.oneIndex && indexed ? '+' : ''}${column} =`, value);
    if (column !== 'trace_id' && column !== 'method') indexed = true;
  };
  eq('trace_id', q.trace_id);
  eq('session_id', q.session_id);
  eq('actor_id', q.actor_id);
  eq('tool', q.tool);
  eq('service', q.service);
  eq('method', q.method);
  eq('chain_id', q.chain_id);
  if (q.outcome !== undefined) {
    if (!(AUDIT_OUTCOMES as readonly string[]).includes(q.outcome)) {
      throw new StoreError(
        'MCPTRAIL_ERR_STORE_QUERY',
        `query filter 'outcome' must be one of ${AUDIT_OUTCOMES.join(', ')}, got ${JSON.stringify(q.outcome)}`,
      );
    }
    eq('outcome', q.outcome);
    // The partial outcome index covers every outcome but 'ok'; the planner needs its condition spelt out.
    if (q.outcome !== 'ok') where.push(`outcome <> 'ok'`);
  }
  const since = checkTime('since', q.since);
  const until = checkTime('until', q.until);
  if (since !== undefined) add('time >=', since);
  if (until !== undefined) add('time <', until);
  if (q.after_seq !== undefined) {
    if (!Number.isSafeInteger(q.after_seq) || q.after_seq < 0) {
      throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `query filter 'after_seq' must be a non-negative integer, got ${JSON.stringify(q.after_seq)}`);
    }
    add('seq >', q.after_seq);
  }
  const limit = q.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `query filter 'limit' must be an integer from 1 to ${MAX_QUERY_LIMIT}, got ${JSON.stringify(q.limit)}`);
  }
  return { where, params, limit };
}
