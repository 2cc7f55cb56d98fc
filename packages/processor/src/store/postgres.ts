import type { AuditRecord } from '@mcptrail/conventions';
import { Pool, type PoolClient } from 'pg';
import { sealAlertEvent } from '../chain/alert-events';
import { GENESIS_HASH, recordFromRow } from '../chain/hash';
import { checkpointFromRow, checkpointToRow } from './checkpoint-rows';
import { StoreError } from './errors';
import { type CountQuery, type CountRow, countQuerySql, countRowsOf } from './aggregate';
import { pageChain, recordsOf } from './paging';
import { FILTER_COLUMNS, POSTGRES_SCHEMA_V1, POSTGRES_SCHEMA_VERSION } from './postgres-schema';
import { buildQueryFilter, CHAIN_ID_PATTERN } from './query-filter';
import { legacyStagingToInbox } from './legacy-staging';
import { createPostgresRollup, forgetRolledPostgres } from './rollup-postgres';
import type { TrailRollup } from './rollup-types';
import type {
  AlertEvent,
  AlertEventInput,
  AuditQuery,
  CallKey,
  ChainHead,
  Checkpoint,
  CheckpointSigning,
  InboxEntry,
  InboxGroupStep,
  InboxProgress,
  SealOutcome,
  SealPlan,
  StoredRow,
  TrailStore,
} from './types';
import { INBOX_OPEN } from './types';

export interface PostgresAuditStore extends TrailStore {
  readonly kind: 'postgres';
  /** Where the next record of `chainId` links to (genesis, last record, or the retention anchor). */
  head(chainId?: string): Promise<ChainHead>;
}

export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` (libpq-style URL; `?sslmode=require` etc. honoured by `pg`). */
  url: string;
  /** This replica's chain. Default `main`. */
  chainId?: string;
  /** Connections per replica. Default 4. */
  poolSize?: number;
  /** Give up connecting after this long (the exporter then gets 503 + Retry-After). Default 5000. */
  connectTimeoutMs?: number;
  /** Where connection errors of idle pooled clients are reported (they must not crash the process). */
  onError?: (err: Error) => void;
}

/** Concurrent seals of the same call by two replicas: the loser retries and sees the winner's record. */
const CALL_CONFLICT_RETRIES = 3;
const UNIQUE_VIOLATION = '23505';
/** Any 64-bit constant: serialises schema migration between replicas starting together. */
const MIGRATION_LOCK = 0x6d637074726c;

/** True for `postgres://` and `postgresql://` URLs: the `--db` value that selects this store. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL without its password, for logs and errors. */
export function safeDbLabel(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresAuditStore> {
  const chainId = opts.chainId ?? 'main';
  if (typeof chainId !== 'string' || !CHAIN_ID_PATTERN.test(chainId)) {
    throw new StoreError(
      'MCPTRAIL_ERR_STORE_OPEN',
      `store option 'chainId' must be 1-128 characters of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(chainId)}`,
    );
  }
  if (!isPostgresUrl(opts.url)) {
    throw new StoreError('MCPTRAIL_ERR_STORE_OPEN', `store option 'url' must start with postgres:// or postgresql://, got ${JSON.stringify(safeDbLabel(opts.url))}`);
  }
  const pool = new Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    application_name: `mcptrail:${chainId}`,
  });
  // An idle client losing its server emits on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => opts.onError?.(err));
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof StoreError) throw err;
    throw new StoreError('MCPTRAIL_ERR_STORE_OPEN', `cannot open store '${safeDbLabel(opts.url)}': ${(err as Error).message}`, { cause: err });
  }
  return new PostgresStore(pool, chainId, safeDbLabel(opts.url));
}

async function migrate(pool: Pool): Promise<void> {
  const client = await pool.connect();
  const onError = () => undefined;
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(POSTGRES_SCHEMA_V1[0]!);
    const row = await client.query<{ version: number }>(`SELECT version FROM mcptrail_schema WHERE component = 'trail'`);
    const found = row.rows[0]?.version;
    if (found !== undefined && found > POSTGRES_SCHEMA_VERSION) {
      throw new StoreError(
        'MCPTRAIL_ERR_STORE_SCHEMA',
        `store schema version ${found} is newer than this mcptrail understands (${POSTGRES_SCHEMA_VERSION}); upgrade mcptrail`,
      );
    }
    if (found !== POSTGRES_SCHEMA_VERSION) {
      for (const stmt of POSTGRES_SCHEMA_V1) await client.query(stmt);
      await migrateStaging(client);
      await client.query(
        `INSERT INTO mcptrail_schema (component, version) VALUES ('trail', $1) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`,
        [POSTGRES_SCHEMA_VERSION],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release();
  }
}

/** v1 staged one row per acknowledged draft: what is still staged moves to the inbox, one entry per chain. */
async function migrateStaging(client: PoolClient): Promise<void> {
  const exists = await client.query(`SELECT to_regclass('audit_staging') IS NOT NULL AS e`);
  if (!exists.rows[0]?.e) return;
  const rows = await client.query<{ chain_id: string; kind: 'span' | 'log'; draft: string }>(`SELECT chain_id, kind, draft FROM audit_staging ORDER BY id`);
  const byChain = new Map<string, Array<{ kind: 'span' | 'log'; draft: string }>>();
  for (const r of rows.rows) {
    const list = byChain.get(r.chain_id) ?? [];
    list.push(r);
    byChain.set(r.chain_id, list);
  }
  for (const [chainId, list] of byChain) {
    await client.query(`INSERT INTO audit_inbox (chain_id, payload) VALUES ($1, $2)`, [chainId, legacyStagingToInbox(list)]);
  }
  await client.query(`DROP TABLE audit_staging`);
}

/** The query API's SQL (exported so a test can EXPLAIN exactly what runs). */
export function auditQuerySql(q: AuditQuery, order: 'asc' | 'desc'): { sql: string; params: unknown[] } {
  const { where, params, limit } = buildQueryFilter(q, (n) => `$${n}`);
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  params.push(limit);
  const sql =
    `SELECT hash, body FROM audit_records` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY chain_id ${dir}, seq ${dir} LIMIT $${params.length}`;
  return { sql, params };
}

/**
 * Batches travel as ONE json parameter expanded by json_to_recordset: for megabytes of
 * JSON-bearing text, pg's text[] literal escaping costs twice as much as JSON.stringify,
 * and JSON string escapes round-trip every body byte for byte (the hash covers them).
 */
const INSERT_RECORDS =
  `INSERT INTO audit_records (chain_id, seq, hash, body, ${FILTER_COLUMNS.join(', ')}) ` +
  `SELECT * FROM json_to_recordset($1::json) AS u(chain_id text, seq bigint, hash text, body text, ${FILTER_COLUMNS.map((c) => `${c} text`).join(', ')})`;

/** The filter column holds the field as JSON text would give it (`->>`): strings as is, null as NULL. */
function filterValue(v: unknown): string | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
}

const checkpointRow = checkpointFromRow;

class PostgresStore implements PostgresAuditStore {
  readonly kind = 'postgres' as const;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    readonly chainId: string,
    private readonly label: string,
  ) {}

  private assertOpen(): void {
    if (this.closed) throw new StoreError('MCPTRAIL_ERR_STORE_CLOSED', `store '${this.label}' is closed`);
  }

  private async tx<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out client has no listener of the pool: a server that goes away between two
    // statements would otherwise raise an unhandled 'error' and end the process.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  private async headIn(c: Pool | PoolClient, chainId: string): Promise<{ head: ChainHead; last: Checkpoint | null }> {
    const [rows, cps] = [
      await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM audit_records WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1`, [chainId]),
      await c.query(`SELECT * FROM checkpoints WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1`, [chainId]),
    ];
    const last = cps.rows[0] ? checkpointRow(cps.rows[0]) : null;
    const rec = rows.rows[0] ? { seq: Number(rows.rows[0].seq), hash: rows.rows[0].hash } : null;
    // After retention purged every record, the anchor checkpoint is the head.
    if (last && (!rec || last.seq > rec.seq)) return { head: { seq: last.seq, hash: last.hash }, last };
    return { head: rec ?? { seq: 0, hash: GENESIS_HASH }, last };
  }

  async head(chainId = this.chainId): Promise<ChainHead> {
    this.assertOpen();
    return (await this.headIn(this.pool, chainId)).head;
  }

  // --- TrailWriter ---

  async appendInbox(payload: string, group?: InboxGroupStep): Promise<number> {
    this.assertOpen();
    const open = group !== undefined && 'open' in group;
    const closes = group && 'closes' in group ? group.closes : [];
    // One statement each, so a slice and its group's marks commit together.
    const r = await this.pool.query<{ id: string }>(
      open
        ? `WITH e AS (INSERT INTO audit_inbox (chain_id, payload) VALUES ($1, $2) RETURNING id),
                m AS (INSERT INTO audit_inbox_open (id, chain_id) SELECT id, $1 FROM e)
           SELECT id FROM e`
        : closes.length === 0
          ? `INSERT INTO audit_inbox (chain_id, payload) VALUES ($1, $2) RETURNING id`
          : `WITH cleared AS (DELETE FROM audit_inbox_open WHERE chain_id = $1 AND id = ANY($3::bigint[]))
             INSERT INTO audit_inbox (chain_id, payload) VALUES ($1, $2) RETURNING id`,
      closes.length === 0 ? [this.chainId, payload] : [this.chainId, payload, closes],
    );
    return Number(r.rows[0]!.id);
  }

  async discardInbox(ids: readonly number[]): Promise<void> {
    this.assertOpen();
    if (ids.length > 0) {
      await this.pool.query(
        `WITH m AS (DELETE FROM audit_inbox_open WHERE chain_id = $1 AND id = ANY($2::bigint[])) DELETE FROM audit_inbox WHERE chain_id = $1 AND id = ANY($2::bigint[])`,
        [this.chainId, ids],
      );
    }
  }

  async readInbox(): Promise<InboxEntry[]> {
    this.assertOpen();
    // Slices of a group commit that never completed (and those a v2-v3 store marked in `done`).
    await this.pool.query(
      `WITH m AS (DELETE FROM audit_inbox_open WHERE chain_id = $1 RETURNING id)
       DELETE FROM audit_inbox WHERE chain_id = $1 AND (id IN (SELECT id FROM m) OR done = $2)`,
      [this.chainId, INBOX_OPEN],
    );
    const r = await this.pool.query<{ id: string; payload: string; done: string | null }>(
      `SELECT id, payload, done FROM audit_inbox WHERE chain_id = $1 ORDER BY id`,
      [this.chainId],
    );
    return r.rows.map((row) => ({ id: Number(row.id), payload: row.payload, done: row.done }));
  }

  async sealCalls<C extends CallKey>(
    calls: readonly C[],
    plan: (fresh: C[], head: ChainHead, last: Checkpoint | null) => SealPlan,
    inbox: InboxProgress,
  ): Promise<SealOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tx((c) => this.sealIn(c, calls, plan, inbox));
      } catch (err) {
        const conflict = (err as { code?: string; constraint?: string }).code === UNIQUE_VIOLATION;
        if (!conflict || attempt >= CALL_CONFLICT_RETRIES) throw err;
      }
    }
  }

  private async sealIn<C extends CallKey>(
    c: PoolClient,
    calls: readonly C[],
    plan: (fresh: C[], head: ChainHead, last: Checkpoint | null) => SealPlan,
    inbox: InboxProgress,
  ): Promise<SealOutcome> {
    const chainId = this.chainId;
    const keyed = calls.filter((k) => k.trace_id !== null && k.span_id !== null);
    let duplicates = 0;
    let fresh = [...calls];
    if (keyed.length > 0) {
      const dup = await c.query<{ trace_id: string; span_id: string }>(
        `SELECT r.trace_id, r.span_id FROM audit_records r
         JOIN unnest($1::text[], $2::text[]) AS k(trace_id, span_id) ON r.trace_id = k.trace_id AND r.span_id = k.span_id`,
        [keyed.map((k) => k.trace_id), keyed.map((k) => k.span_id)],
      );
      if (dup.rows.length > 0) {
        const inTrail = new Set(dup.rows.map((d) => `${d.trace_id}/${d.span_id}`));
        fresh = fresh.filter((k) => {
          const isDup = k.trace_id !== null && k.span_id !== null && inTrail.has(`${k.trace_id}/${k.span_id}`);
          if (isDup) duplicates++;
          return !isDup;
        });
      }
    }
    const { head, last } = await this.headIn(c, chainId);
    const out = plan(fresh, head, last);
    if (out.records.length > 0) {
      const rows = out.records.map(({ record, body }) => {
        const row: Record<string, unknown> = { chain_id: record.chain_id, seq: record.seq, hash: record.hash, body };
        for (const col of FILTER_COLUMNS) row[col] = filterValue(record[col]);
        return row;
      });
      await c.query(INSERT_RECORDS, [JSON.stringify(rows)]);
    }
    const checkpointed = out.checkpoint ? await this.checkpointIn(c, out.checkpoint) : false;
    if (inbox.consumed.length > 0) await c.query(`DELETE FROM audit_inbox WHERE chain_id = $1 AND id = ANY($2::bigint[])`, [chainId, inbox.consumed]);
    if (inbox.noted.length > 0) {
      await c.query(
        `UPDATE audit_inbox i SET done = u.done FROM unnest($2::bigint[], $3::text[]) AS u(id, done) WHERE i.chain_id = $1 AND i.id = u.id`,
        [chainId, inbox.noted.map((n) => n.id), inbox.noted.map((n) => n.done)],
      );
    }
    return { duplicates, records: out.records.map((r) => r.record), checkpointed };
  }

  private async insertCheckpoint(c: PoolClient, cp: Checkpoint): Promise<void> {
    const row = checkpointToRow(cp);
    await c.query(
      `INSERT INTO checkpoints (chain_id, seq, hash, time, signature, key_id, origin, root, prev, alerts_seq, alerts_hash, frontier)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [row.chain_id, row.seq, row.hash, row.time, row.signature, row.key_id, row.origin, row.root, row.prev, row.alerts_seq, row.alerts_hash, row.frontier],
    );
  }

  private async alertHeadIn(c: Pool | PoolClient, chainId: string, last: Checkpoint | null): Promise<ChainHead> {
    const r = await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM alert_events WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1`, [chainId]);
    const ev = r.rows[0] ? { seq: Number(r.rows[0].seq), hash: r.rows[0].hash } : null;
    // After retention purged every event, the anchor checkpoint names the head.
    if (last && (!ev || last.alerts_seq > ev.seq)) return { seq: last.alerts_seq, hash: last.alerts_hash };
    return ev ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Signs (when `sign` wants to) after the records of this transaction are in. */
  private async checkpointIn(c: PoolClient, sign: CheckpointSigning): Promise<boolean> {
    // Checkpoints of a chain are signed one after another, each naming the one before.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mcptrail-checkpoint/${this.chainId}`]);
    const { head, last } = await this.headIn(c, this.chainId);
    const leaves = await c.query<{ hash: string }>(`SELECT hash FROM audit_records WHERE chain_id = $1 AND seq > $2 ORDER BY seq`, [
      this.chainId,
      last?.seq ?? 0,
    ]);
    const cp = sign({ head, last, leaves: leaves.rows.map((r) => r.hash), alerts: await this.alertHeadIn(c, this.chainId, last) });
    if (cp) await this.insertCheckpoint(c, cp);
    return cp !== null;
  }

  async checkpointHead(sign: CheckpointSigning): Promise<boolean> {
    return this.tx((c) => this.checkpointIn(c, sign));
  }

  async appendAlertEvents(events: readonly AlertEventInput[]): Promise<AlertEvent[]> {
    return this.tx(async (c) => {
      // One writer per chain at a time: the advisory lock orders concurrent appends of this replica.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mcptrail-alerts/${this.chainId}`]);
      const { last } = await this.headIn(c, this.chainId);
      let head = await this.alertHeadIn(c, this.chainId, last);
      const out: AlertEvent[] = [];
      for (const input of events) {
        const { event, body } = sealAlertEvent(input, this.chainId, head);
        await c.query(`INSERT INTO alert_events (chain_id, seq, hash, body) VALUES ($1, $2, $3, $4)`, [this.chainId, event.seq, event.hash, body]);
        head = { seq: event.seq, hash: event.hash };
        out.push(event);
      }
      return out;
    });
  }

  async alertEvents(chainId: string): Promise<StoredRow[]> {
    this.assertOpen();
    const r = await this.pool.query<{ seq: string; hash: string; body: string }>(
      `SELECT seq, hash, body FROM alert_events WHERE chain_id = $1 ORDER BY seq`,
      [chainId],
    );
    return r.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, body: row.body }));
  }

  // --- AuditStore (read side, every chain) ---

  async query(q: AuditQuery, order: 'asc' | 'desc' = 'asc'): Promise<AuditRecord[]> {
    this.assertOpen();
    const { sql, params } = auditQuerySql(q, order);
    const r = await this.pool.query<{ hash: string; body: string }>(sql, params);
    return r.rows.map((row) => recordFromRow(row.body, row.hash));
  }

  iterate(opts: { chainId?: string; fromSeq?: number; batchSize?: number } = {}): AsyncIterable<AuditRecord> {
    return recordsOf(this.scan({ chainId: opts.chainId ?? this.chainId, fromSeq: opts.fromSeq, batchSize: opts.batchSize }));
  }


  scan(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<StoredRow[]> {
    const fetch = async (from: number, size: number): Promise<StoredRow[]> => {
      const r = await this.pool.query<{ seq: string; hash: string; body: string }>(
        `SELECT seq, hash, body FROM audit_records WHERE chain_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
        [opts.chainId, from, size],
      );
      return r.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, body: row.body }));
    };
    return pageChain(fetch, opts, () => this.assertOpen());
  }

  scanHashes(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<StoredRow[]> {
    const fetch = async (from: number, size: number): Promise<StoredRow[]> => {
      const r = await this.pool.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM audit_records WHERE chain_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
        [opts.chainId, from, size],
      );
      return r.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, body: '' }));
    };
    return pageChain(fetch, opts, () => this.assertOpen());
  }

  async chains(): Promise<string[]> {
    this.assertOpen();
    // Skip scan over the primary key: one index probe per chain, not a pass over every row.
    const r = await this.pool.query<{ chain_id: string }>(
      `WITH RECURSIVE c AS (
         (SELECT chain_id FROM audit_records ORDER BY chain_id LIMIT 1)
         UNION ALL
         SELECT (SELECT r.chain_id FROM audit_records r WHERE r.chain_id > c.chain_id ORDER BY r.chain_id LIMIT 1) FROM c WHERE c.chain_id IS NOT NULL
       )
       SELECT chain_id FROM c WHERE chain_id IS NOT NULL
       UNION SELECT DISTINCT chain_id FROM checkpoints UNION SELECT DISTINCT chain_id FROM alert_events ORDER BY 1`,
    );
    return r.rows.map((row) => row.chain_id);
  }

  async count(q: { chain_id?: string } = {}): Promise<number> {
    this.assertOpen();
    const r =
      q.chain_id === undefined
        ? await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_records`)
        : await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_records WHERE chain_id = $1`, [q.chain_id]);
    return Number(r.rows[0]!.n);
  }

  async checkpoints(chainId: string): Promise<Checkpoint[]> {
    this.assertOpen();
    const r = await this.pool.query(`SELECT * FROM checkpoints WHERE chain_id = $1 ORDER BY seq`, [chainId]);
    return r.rows.map(checkpointRow);
  }

  async purgeThrough(chainId: string, seq: number): Promise<{ purged: number }> {
    return this.tx(async (c) => {
      const anchor = await c.query<{ alerts_seq: string | null }>(`SELECT alerts_seq FROM checkpoints WHERE chain_id = $1 AND seq = $2`, [chainId, seq]);
      await forgetRolledPostgres(c, chainId, seq);
      const del = await c.query(`DELETE FROM audit_records WHERE chain_id = $1 AND seq <= $2`, [chainId, seq]);
      await c.query(`DELETE FROM checkpoints WHERE chain_id = $1 AND seq < $2`, [chainId, seq]);
      const alertsSeq = anchor.rows[0]?.alerts_seq;
      if (alertsSeq !== null && alertsSeq !== undefined) await c.query(`DELETE FROM alert_events WHERE chain_id = $1 AND seq <= $2`, [chainId, alertsSeq]);
      return { purged: del.rowCount ?? 0 };
    });
  }

  // --- console read side ---

  async countBy(q: CountQuery): Promise<CountRow[]> {
    this.assertOpen();
    const { sql, params } = countQuerySql(q, (n) => `$${n}`);
    const r = await this.pool.query<Record<string, unknown>>(sql, params);
    return countRowsOf(r.rows, q.by.length);
  }

  private rolled: TrailRollup | null = null;
  rollup(): TrailRollup {
    this.assertOpen();
    this.rolled ??= createPostgresRollup(this.pool);
    return this.rolled;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
