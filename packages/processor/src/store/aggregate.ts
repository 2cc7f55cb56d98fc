/**
 * Console read side: counts of matching records grouped by a few dimensions, computed by
 * the database (GROUP BY over the indexed filter columns) so a page over a million-record
 * trail moves a few hundred rows, not the records. One SQL builder for both stores.
 */
import { AUDIT_OUTCOMES } from '@mcptrail/conventions';
import { StoreError } from './errors';
import { buildQueryFilter } from './query-filter';
import type { AuditQuery } from './types';

/** Filter columns, plus time buckets cut from the ISO 8601 text (`2026-01-31T12:34`). */
export const COUNT_DIMENSIONS = ['outcome', 'tool', 'actor_id', 'service', 'session_id', 'method', 'minute', 'hour', 'day'] as const;
export type CountDimension = (typeof COUNT_DIMENSIONS)[number];

/** Stored times are UTC with milliseconds, so a prefix of the text names the bucket. */
const BUCKET_PREFIX: Partial<Record<CountDimension, number>> = { minute: 16, hour: 13, day: 10 };
const BUCKET_MS: Partial<Record<CountDimension, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** At most this many time buckets per query. */
export const MAX_BUCKETS = 1500;

/** Bucket keys (`2026-01-31T12` for hours) with their [lo, hi) bounds, covering [since, until). */
export function timeBuckets(since: string, until: string, bucket: 'minute' | 'hour' | 'day'): Array<{ key: string; lo: string; hi: string }> {
  const step = BUCKET_MS[bucket] as number;
  const start = Date.parse(since);
  const end = Date.parse(until);
  const out: Array<{ key: string; lo: string; hi: string }> = [];
  for (let t = Math.floor(start / step) * step; t < end && out.length < MAX_BUCKETS; t += step) {
    const lo = new Date(Math.max(t, start)).toISOString();
    const hi = new Date(Math.min(t + step, end)).toISOString();
    out.push({ key: lo.slice(0, BUCKET_PREFIX[bucket]), lo, hi });
  }
  return out;
}

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

/**
 * Time buckets by range counts, not by cutting the time text of every row: one correlated
 * `count(*)` per bucket (and outcome) over the (outcome, time) or (time) index, so no record
 * body is read (a GROUP BY on an expression of the time column reads every row). Needs
 * `since` and `until`; the second dimension, if any, must be `outcome`.
 */
function bucketQuerySql(q: CountQuery, placeholder: (n: number) => string, dialect: 'sqlite' | 'postgres'): { sql: string; params: unknown[] } {
  const bucket = q.by[0] as 'minute' | 'hour' | 'day';
  if (q.by.length === 2 && q.by[1] !== 'outcome') {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count by a time bucket takes 'outcome' as its only second dimension, got ${JSON.stringify(q.by[1])}`);
  }
  if (!q.where.since || !q.where.until) throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count by ${bucket} needs 'since' and 'until'`);
  const { since, until, ...rest } = q.where;
  const buckets = timeBuckets(new Date(since).toISOString(), new Date(until).toISOString(), bucket);
  if (buckets.length === 0) return { sql: 'SELECT NULL AS k0, 0 AS n WHERE 1 = 0', params: [] };
  const params: unknown[] = [];
  const ph = (v: unknown) => {
    params.push(v);
    return placeholder(params.length);
  };
  const values = buckets.map((b) => `(${ph(b.key)}, ${ph(b.lo)}, ${ph(b.hi)})`).join(', ');
  const byOutcome = q.by.length === 2;
  const outcomes = byOutcome ? `, o(v) AS (VALUES ${AUDIT_OUTCOMES.map((o) => `(${ph(o)})`).join(', ')})` : '';
  const offset = params.length;
  const filter = buildQueryFilter({ ...rest, limit: 1 }, (n) => placeholder(n + offset));
  params.push(...filter.params);
  // With an equality filter (actor, tool, …) SQLite must walk that column's index, not the
  // outcome index (which would read every record in range to test the filter): `+` says so.
  const narrowed = dialect === 'sqlite' && filter.where.length > 0;
  const conditions = ['r.time >= b.lo', 'r.time < b.hi', ...(byOutcome ? [narrowed ? '+r.outcome = o.v' : 'r.outcome = o.v'] : []), ...filter.where.map((w) => `r.${w}`)];
  const sql =
    `WITH b(k, lo, hi) AS (VALUES ${values})${outcomes} ` +
    `SELECT * FROM (SELECT b.k AS k0${byOutcome ? ', o.v AS k1' : ''}, ` +
    `(SELECT count(*) FROM audit_records r WHERE ${conditions.join(' AND ')}) AS n FROM b${byOutcome ? ', o' : ''}) t ` +
    `WHERE n > 0 ORDER BY k0${byOutcome ? ', k1' : ''}`;
  return { sql, params };
}

/**
 * SQL for a CountQuery; `placeholder(n)` spells the n-th parameter (`?` or `$n`). On SQLite the
 * time bounds are written `+time` so the planner scans the grouped column's (column, time)
 * index instead of walking the time index and reading each record to learn its group (seen on a
 * 1M-record trail: 89 s → an index scan).
 */
export function countQuerySql(q: CountQuery, placeholder: (n: number) => string, dialect: 'sqlite' | 'postgres' = 'postgres'): { sql: string; params: unknown[] } {
  if (!Array.isArray(q.by) || q.by.length < 1 || q.by.length > 2) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'by' must name 1 or 2 dimensions, got ${JSON.stringify(q.by)}`);
  }
  if (q.by.some((d) => !(COUNT_DIMENSIONS as readonly string[]).includes(d))) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count dimension must be one of ${COUNT_DIMENSIONS.join(', ')}, got ${JSON.stringify(q.by)}`);
  }
  if (BUCKET_PREFIX[q.by[0] as CountDimension] !== undefined) return bucketQuerySql(q, placeholder, dialect);
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
  const filter = buildQueryFilter({ ...q.where, limit: 1 }, placeholder);
  // Only for a pure time range: with an equality filter its own (column, time) index is the right walk.
  const rangeOnly = filter.where.every((w) => w.startsWith('time '));
  const where = dialect === 'sqlite' && rangeOnly ? filter.where.map((w) => `+${w}`) : filter.where;
  const params = filter.params;
  params.push(limit);
  const cols = exprs.map((e, i) => `${e} AS k${i}`).join(', ');
  const group = exprs.map((_, i) => `k${i}`).join(', ');
  const sql =
    `SELECT ${cols}, count(*) AS n FROM audit_records` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` GROUP BY ${group} ORDER BY n DESC, k0 LIMIT ${placeholder(params.length)}`;
  return { sql, params };
}

/** Rows as the drivers return them (`k0`, `k1`, `n` as number or numeric text). */
export function countRowsOf(rows: ReadonlyArray<Record<string, unknown>>, dims: number): CountRow[] {
  return rows.map((r) => ({
    key: Array.from({ length: dims }, (_, i) => (r[`k${i}`] === null || r[`k${i}`] === undefined ? null : String(r[`k${i}`]))),
    n: Number(r.n),
  }));
}
