/**
 * Console read side: counts of matching records grouped by a few dimensions, computed by
 * the database (GROUP BY over the indexed filter columns) so a page over a million-record
 * trail moves a few hundred rows, not the records. One SQL builder for both stores.
 */
import { StoreError } from './errors';
import { buildQueryFilter } from './query-filter';
import type { AuditQuery } from './types';

/** Filter columns, plus time buckets cut from the ISO 8601 text (`2026-01-31T12:34`). */
export const COUNT_DIMENSIONS = ['outcome', 'tool', 'actor_id', 'service', 'session_id', 'method', 'minute', 'hour', 'day'] as const;
export type CountDimension = (typeof COUNT_DIMENSIONS)[number];

/** Stored times are UTC with milliseconds, so a prefix of the text is the bucket. */
const BUCKET_PREFIX: Partial<Record<CountDimension, number>> = { minute: 16, hour: 13, day: 10 };

export interface CountQuery {
  /** Filters as for `query` (its `limit` and `after_seq` are ignored). */
  where: Omit<AuditQuery, 'limit' | 'after_seq'>;
  /** One or two dimensions, e.g. `['hour', 'outcome']`. */
  by: readonly CountDimension[];
  /** Rows kept, largest counts first (time buckets: in time order). @default 1000 */
  limit?: number;
}

export interface CountRow {
  /** One value per dimension of `by`, in order (null where the record has none). */
  key: Array<string | null>;
  n: number;
}

export const MAX_COUNT_ROWS = 10_000;

/** SQL for a CountQuery; `placeholder(n)` spells the n-th parameter (`?` or `$n`). */
export function countQuerySql(q: CountQuery, placeholder: (n: number) => string): { sql: string; params: unknown[] } {
  if (!Array.isArray(q.by) || q.by.length < 1 || q.by.length > 2) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'by' must name 1 or 2 dimensions, got ${JSON.stringify(q.by)}`);
  }
  const exprs = q.by.map((d: CountDimension) => {
    if (!(COUNT_DIMENSIONS as readonly string[]).includes(d)) {
      throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count dimension must be one of ${COUNT_DIMENSIONS.join(', ')}, got ${JSON.stringify(d)}`);
    }
    const prefix = BUCKET_PREFIX[d];
    return prefix ? `substr(time, 1, ${prefix})` : d;
  });
  const limit = q.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_COUNT_ROWS) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'limit' must be an integer from 1 to ${MAX_COUNT_ROWS}, got ${JSON.stringify(q.limit)}`);
  }
  const { where, params } = buildQueryFilter({ ...q.where, limit: 1 }, placeholder);
  params.push(limit);
  const cols = exprs.map((e, i) => `${e} AS k${i}`).join(', ');
  const group = exprs.map((_, i) => `k${i}`).join(', ');
  const timeFirst = BUCKET_PREFIX[q.by[0] as CountDimension] !== undefined;
  const sql =
    `SELECT ${cols}, count(*) AS n FROM audit_records` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` GROUP BY ${group} ORDER BY ${timeFirst ? group : 'n DESC, k0'} LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

/** Rows as the drivers return them (`k0`, `k1`, `n` as number or numeric text). */
export function countRowsOf(rows: ReadonlyArray<Record<string, unknown>>, dims: number): CountRow[] {
  return rows.map((r) => ({
    key: Array.from({ length: dims }, (_, i) => (r[`k${i}`] === null || r[`k${i}`] === undefined ? null : String(r[`k${i}`]))),
    n: Number(r.n),
  }));
}
