/**
 * Pre-aggregated counts of the trail (the console's overview and baselines read these, not
 * the records): per chain, records [low_seq, rolled_seq] are counted into tables keyed by a
 * time bucket and the filter columns. The trail is append-only, so rolling up is "count
 * seq > rolled_seq"; retention subtracts what it purges (forget, in its own transaction).
 *
 * A count over [since, until) is one SQL statement, so one snapshot: whole buckets from the
 * rollup tables (coarsest grain first), the partial buckets at either end from the records,
 * and records not rolled up yet (seq > rolled_seq, the "tail") from the records. The answer
 * is exactly what a scan of the records gives. The same SQL for SQLite and PostgreSQL.
 *
 * Derived data: dropping the tables (all named rollup_v1_*) rebuilds them from the trail.
 */
import { StoreError } from './errors';
import { buildQueryFilter } from './query-filter';
import type { AuditQuery } from './types';

export type Dialect = 'sqlite' | 'postgres';
export type Grain = 'minute' | 'hour' | 'day';
export type RollupColumn = 'actor_id' | 'service' | 'method' | 'tool' | 'outcome';
export type RollupDimension = RollupColumn | Grain;

/** Key columns are NOT NULL (so upserts match): NULL is stored as '' with its bit set here. */
const NULL_BIT: Record<RollupColumn, number> = { actor_id: 1, service: 2, method: 4, tool: 8, outcome: 16 };
const CALL_COLUMNS: RollupColumn[] = ['service', 'method', 'tool', 'outcome'];
const ACTOR_COLUMNS: RollupColumn[] = ['actor_id', ...CALL_COLUMNS];
export const GRAIN_CHARS: Record<Grain, number> = { minute: 16, hour: 13, day: 10 };
export const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

interface RollupTable {
  name: string;
  grain: Grain;
  columns: RollupColumn[];
}

/**
 * Without the actor, a bucket holds one row per (service, method, tool, outcome): few, so
 * minutes are affordable. With the actor (thousands of agents) only hours and days.
 */
export const ROLLUP_TABLES: RollupTable[] = [
  { name: 'rollup_v1_calls_minute', grain: 'minute', columns: CALL_COLUMNS },
  { name: 'rollup_v1_calls_hour', grain: 'hour', columns: CALL_COLUMNS },
  { name: 'rollup_v1_calls_day', grain: 'day', columns: CALL_COLUMNS },
  { name: 'rollup_v1_actors_hour', grain: 'hour', columns: ACTOR_COLUMNS },
  { name: 'rollup_v1_actors_day', grain: 'day', columns: ACTOR_COLUMNS },
];
export const CURSOR_TABLE = 'rollup_v1_cursor';
const STEP_TABLE = 'rollup_v1_step';

export function rollupSchema(d: Dialect): string[] {
  const int = d === 'postgres' ? 'bigint' : 'INTEGER';
  const out = [`CREATE TABLE IF NOT EXISTS ${CURSOR_TABLE} (chain_id TEXT PRIMARY KEY, low_seq ${int} NOT NULL, rolled_seq ${int} NOT NULL)`];
  for (const t of ROLLUP_TABLES) {
    const key = ['bucket', ...t.columns, 'nulls', 'chain_id'];
    out.push(
      `CREATE TABLE IF NOT EXISTS ${t.name} (${key.map((c) => `${c} ${c === 'nulls' ? 'INTEGER' : 'TEXT'} NOT NULL`).join(', ')}, n ${int} NOT NULL, ` +
        `PRIMARY KEY (${key.join(', ')}))${d === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
    );
    if (t.columns.includes('actor_id')) out.push(`CREATE INDEX IF NOT EXISTS ${t.name}_by_actor ON ${t.name} (actor_id, bucket)`);
  }
  return out;
}

const nullsOf = (columns: readonly RollupColumn[], prefix = '') =>
  columns.map((c) => `CASE WHEN ${prefix}${c} IS NULL THEN ${NULL_BIT[c]} ELSE 0 END`).join(' + ');

/**
 * Statements that add `sign` × the records [from, to] of one chain to every rollup table
 * (sign -1: retention forgets them). Parameters, in order: sign, chain_id, from, to.
 */
export function rollupStepSql(d: Dialect): string[] {
  const ph = d === 'postgres' ? (n: number) => `$${n}` : () => '?';
  const select =
    `SELECT chain_id, substr(time, 1, ${GRAIN_CHARS.minute}) AS minute, ${ACTOR_COLUMNS.map((c) => `coalesce(${c}, '') AS ${c}`).join(', ')}, ` +
    `${nullsOf(ACTOR_COLUMNS)} AS nulls, count(*) * ${ph(1)} AS n FROM audit_records ` +
    `WHERE chain_id = ${ph(2)} AND seq >= ${ph(3)} AND seq <= ${ph(4)} GROUP BY ${Array.from({ length: 8 }, (_, i) => i + 1).join(', ')}`;
  const upsert = (t: RollupTable, from: string) => {
    const key = ['bucket', ...t.columns, 'nulls', 'chain_id'];
    const mask = t.columns.reduce((m, c) => m | NULL_BIT[c], 0);
    const exprs = [`substr(minute, 1, ${GRAIN_CHARS[t.grain]})`, ...t.columns, `nulls & ${mask}`, 'chain_id'];
    return (
      `INSERT INTO ${t.name} (${key.join(', ')}, n) SELECT ${exprs.join(', ')}, sum(n) FROM ${from} WHERE 1 = 1 ` +
      `GROUP BY ${exprs.map((_, i) => i + 1).join(', ')} ON CONFLICT (${key.join(', ')}) DO UPDATE SET n = ${t.name}.n + excluded.n`
    );
  };
  if (d === 'postgres') {
    // One statement: data-modifying CTEs share the aggregate, no temp table per connection.
    return [`WITH s AS (${select}), ${ROLLUP_TABLES.map((t, i) => `u${i} AS (${upsert(t, 's')})`).join(', ')} SELECT 1`];
  }
  return [
    `CREATE TEMP TABLE IF NOT EXISTS ${STEP_TABLE} (chain_id TEXT, minute TEXT, ${ACTOR_COLUMNS.map((c) => `${c} TEXT`).join(', ')}, nulls INTEGER, n INTEGER)`,
    `DELETE FROM temp.${STEP_TABLE}`,
    `INSERT INTO temp.${STEP_TABLE} ${select}`,
    ...ROLLUP_TABLES.map((t) => upsert(t, `temp.${STEP_TABLE}`)),
  ];
}

/** After a forget: rows whose counts went to zero. */
export const pruneSql = (): string[] => ROLLUP_TABLES.map((t) => `DELETE FROM ${t.name} WHERE n = 0`);

/** The chains of the trail, by index skips (one B-tree descent per chain, not a scan). */
const CHAINS_CTE =
  `chains(id) AS (SELECT min(chain_id) FROM audit_records UNION ALL ` +
  `SELECT (SELECT min(chain_id) FROM audit_records WHERE chain_id > chains.id) FROM chains WHERE chains.id IS NOT NULL)`;

/** Per chain: head seq, lowest seq and how far the rollup counted (null: not yet). */
export const chainStateSql = (): string =>
  `WITH RECURSIVE ${CHAINS_CTE} SELECT id AS chain_id, ` +
  `(SELECT max(seq) FROM audit_records WHERE chain_id = chains.id) AS head, ` +
  `(SELECT min(seq) FROM audit_records WHERE chain_id = chains.id) AS low, ` +
  `(SELECT rolled_seq FROM ${CURSOR_TABLE} c WHERE c.chain_id = chains.id) AS rolled ` +
  `FROM chains WHERE id IS NOT NULL`;

export interface RollupQuery {
  /** since/until required; equality filters on the rollup's columns. */
  where: Pick<AuditQuery, 'service' | 'method' | 'tool' | 'actor_id' | 'outcome'> & { since: string; until: string };
  /** One to three dimensions, at most one of them a time bucket. */
  by: readonly RollupDimension[];
  /** Rows kept, largest counts first. @default 10000 */
  limit?: number;
}

export const MAX_ROLLUP_ROWS = 100_000;
const GRAINS: Grain[] = ['day', 'hour', 'minute'];
const isGrain = (d: string): d is Grain => d in GRAIN_CHARS;
const COLUMNS = new Set<string>(ACTOR_COLUMNS);

export interface RollupPlan {
  /** Time ranges [lo, hi) counted from the records (partial buckets at the ends). */
  edges: Array<[string, string]>;
  /** Whole buckets [lo, hi) counted from a rollup table. */
  parts: Array<{ table: RollupTable; lo: string; hi: string }>;
}

/**
 * Cuts [since, until) into whole buckets of the coarsest usable grain, then the next finer
 * one at each end, and the rest (less than the finest grain) from the records. A grain is
 * usable when its tables have the columns asked for and it is no coarser than the bucket.
 */
export function planRollup(q: RollupQuery): RollupPlan {
  const needsActor = q.by.includes('actor_id') || q.where.actor_id !== undefined;
  const bucket = q.by.find(isGrain);
  const tables = GRAINS.filter((g) => !bucket || GRAIN_MS[g] <= GRAIN_MS[bucket])
    .map((g) => ROLLUP_TABLES.find((t) => t.grain === g && (t.columns.includes('actor_id') === needsActor)))
    .filter((t): t is RollupTable => t !== undefined);
  const plan: RollupPlan = { edges: [], parts: [] };
  const iso = (ms: number) => new Date(ms).toISOString();
  const cut = (lo: number, hi: number, i: number): void => {
    if (lo >= hi) return;
    const t = tables[i];
    if (!t) {
      plan.edges.push([iso(lo), iso(hi)]);
      return;
    }
    const step = GRAIN_MS[t.grain];
    const a = Math.ceil(lo / step) * step;
    const b = Math.floor(hi / step) * step;
    if (a >= b) {
      cut(lo, hi, i + 1);
      return;
    }
    plan.parts.push({ table: t, lo: iso(a), hi: iso(b) });
    cut(lo, a, i + 1);
    cut(b, hi, i + 1);
  };
  cut(Date.parse(q.where.since), Date.parse(q.where.until), 0);
  return plan;
}

function validate(q: RollupQuery): void {
  if (!Array.isArray(q.by) || q.by.length < 1 || q.by.length > 3) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'by' must name 1 to 3 dimensions, got ${JSON.stringify(q.by)}`);
  }
  for (const d of q.by) {
    if (!isGrain(d) && !COLUMNS.has(d)) {
      throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count dimension must be one of ${[...COLUMNS, ...GRAINS].join(', ')}, got ${JSON.stringify(d)}`);
    }
  }
  if (q.by.filter(isGrain).length > 1) throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'by' takes at most one time bucket, got ${JSON.stringify(q.by)}`);
  for (const b of ['since', 'until'] as const) {
    if (typeof q.where[b] !== 'string' || Number.isNaN(Date.parse(q.where[b]))) {
      throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count needs '${b}' as an ISO 8601 time, got ${JSON.stringify(q.where[b])}`);
    }
  }
  const limit = q.limit ?? 10_000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_ROLLUP_ROWS) {
    throw new StoreError('MCPTRAIL_ERR_STORE_QUERY', `count 'limit' must be an integer from 1 to ${MAX_ROLLUP_ROWS}, got ${JSON.stringify(q.limit)}`);
  }
}

/** Per chain: records after `after` (up to `head`) are not rolled up yet. */
export interface TailBound {
  chain_id: string;
  after: number;
  head: number;
}

/**
 * The count's one statement. `tail`: the records not rolled up yet, counted from the records
 * (read in the same transaction as the count); null leaves them out (the caller says so,
 * while a large catch-up is still running).
 */
export function rollupCountSql(q: RollupQuery, d: Dialect, tail: readonly TailBound[] | null): { sql: string; params: unknown[] } {
  validate(q);
  const since = new Date(q.where.since).toISOString();
  const until = new Date(q.where.until).toISOString();
  const plan = since < until ? planRollup({ ...q, where: { ...q.where, since, until } }) : { edges: [], parts: [] };
  const params: unknown[] = [];
  const ph = (v: unknown) => {
    params.push(v);
    return d === 'postgres' ? `$${params.length}` : '?';
  };
  const dims = q.by.map((_, i) => `k${i}`);
  const eq = { service: q.where.service, method: q.where.method, tool: q.where.tool, actor_id: q.where.actor_id, outcome: q.where.outcome };
  const recordKeys = (alias: string) => q.by.map((b, i) => `${isGrain(b) ? `substr(${alias}time, 1, ${GRAIN_CHARS[b]})` : `${alias}${b}`} AS k${i}`).join(', ');
  const recordFilter = (range: { since?: string; until?: string }, alias: string) => {
    const offset = params.length;
    const f = buildQueryFilter({ ...eq, ...range, limit: 1 }, (n) => (d === 'postgres' ? `$${n + offset}` : '?'), { oneIndex: d === 'sqlite' });
    params.push(...f.params);
    // Index hints (`+col`) stay in front of the column name.
    return f.where.map((w) => (alias ? w.replace(/^(\+?)/, `$1${alias}`) : w));
  };
  const selects: string[] = [];
  for (const [lo, hi] of plan.edges) {
    const where = recordFilter({ since: lo, until: hi }, '');
    selects.push(`SELECT ${recordKeys('')}, count(*) AS n FROM audit_records WHERE ${where.join(' AND ')} GROUP BY ${dims.join(', ')}`);
  }
  for (const part of plan.parts) {
    const keys = q.by
      .map((b, i) => `${isGrain(b) ? `substr(bucket, 1, ${GRAIN_CHARS[b]})` : `CASE WHEN (nulls & ${NULL_BIT[b]}) <> 0 THEN NULL ELSE ${b} END`} AS k${i}`)
      .join(', ');
    const where = [`bucket >= ${ph(part.lo.slice(0, GRAIN_CHARS[part.table.grain]))}`, `bucket < ${ph(part.hi.slice(0, GRAIN_CHARS[part.table.grain]))}`];
    for (const [c, v] of Object.entries(eq) as Array<[RollupColumn, string | undefined]>) {
      if (v === undefined) continue;
      where.push(`${c} = ${ph(v)}`);
      if (v === '') where.push(`(nulls & ${NULL_BIT[c]}) = 0`);
    }
    selects.push(`SELECT ${keys}, sum(n) AS n FROM ${part.table.name} WHERE ${where.join(' AND ')} GROUP BY ${dims.join(', ')}`);
  }
  const tails = (tail ?? []).filter((t) => t.head > t.after);
  if (tails.length > 0 && plan.parts.length > 0) {
    // Records not rolled up yet, inside the whole buckets the rollup answered (the edges counted
    // every record). Each chain's seq range is a literal bound, so the planner walks the primary key.
    const chains = tails.map((t) => `(r.chain_id = ${ph(t.chain_id)} AND r.seq > ${ph(t.after)})`);
    const ranges = plan.parts.map((p) => `(r.time >= ${ph(p.lo)} AND r.time < ${ph(p.hi)})`);
    const where = recordFilter({}, 'r.');
    selects.push(
      `SELECT ${recordKeys('r.')}, count(*) AS n FROM audit_records r ` +
        `WHERE (${chains.join(' OR ')}) AND (${ranges.join(' OR ')})${where.length ? ` AND ${where.join(' AND ')}` : ''} GROUP BY ${dims.join(', ')}`,
    );
  }
  if (selects.length === 0) return { sql: `SELECT ${dims.map((k) => `NULL AS ${k}`).join(', ')}, 0 AS n WHERE 1 = 0`, params: [] };
  const limit = ph(q.limit ?? 10_000);
  const sql =
    `SELECT ${dims.join(', ')}, sum(n) AS n FROM (${selects.join(' UNION ALL ')}) u ` +
    `GROUP BY ${dims.join(', ')} ORDER BY n DESC, ${dims.join(', ')} LIMIT ${limit}`;
  return { sql, params };
}
