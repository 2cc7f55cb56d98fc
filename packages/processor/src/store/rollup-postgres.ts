/**
 * The rollup (rollup-sql.ts) on PostgreSQL. Replicas share the tables: one steps at a time
 * (a transaction-scoped advisory lock; the others skip), and the cursor row of a chain is
 * locked by whoever changes it (a step, or retention's forget in the purge transaction).
 */
import type { Pool, PoolClient } from 'pg';
import { countRowsOf } from './aggregate';
import { chainStateSql, CURSOR_TABLE, pruneSql, ROLLUP_TABLES, type RollupQuery, rollupCountSql, rollupSchema, rollupStepSql } from './rollup-sql';
import { tailOf, type ChainState, pendingOf, planChainStep, ROLLUP_MAX_TAIL, ROLLUP_STEP_RECORDS, type RollupAnswer, type TrailRollup } from './rollup-types';

/** Any 64-bit constant: one rollup step at a time across replicas. */
const ROLLUP_LOCK = 0x6d63726f6c6c;
/** Serialises creating the tables between replicas starting together. */
const SCHEMA_LOCK = 0x6d63726f6c73;

type Queryable = Pool | PoolClient;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function chainStates(c: Queryable): Promise<ChainState[]> {
  const r = await c.query<Record<string, unknown>>(chainStateSql());
  return r.rows.map((row) => ({ chain_id: String(row.chain_id), head: num(row.head), low: num(row.low), rolled: num(row.rolled) }));
}

async function addRange(c: PoolClient, sign: 1 | -1, chainId: string, from: number, to: number): Promise<void> {
  if (to < from) return;
  for (const sql of rollupStepSql('postgres')) await c.query(sql, [sign, chainId, from, to]);
}

async function setCursor(c: PoolClient, chainId: string, low: number, rolled: number): Promise<void> {
  await c.query(
    `INSERT INTO ${CURSOR_TABLE} (chain_id, low_seq, rolled_seq) VALUES ($1, $2, $3) ON CONFLICT (chain_id) DO UPDATE SET low_seq = excluded.low_seq, rolled_seq = excluded.rolled_seq`,
    [chainId, low, rolled],
  );
}

/** Retention's hook: inside the purge transaction, before records 1..seq of the chain are deleted. */
export async function forgetRolledPostgres(c: PoolClient, chainId: string, seq: number): Promise<void> {
  const exists = await c.query<{ e: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS e`, [CURSOR_TABLE]);
  if (!exists.rows[0]?.e) return;
  const r = await c.query<{ low: string; rolled: string }>(`SELECT low_seq AS low, rolled_seq AS rolled FROM ${CURSOR_TABLE} WHERE chain_id = $1 FOR UPDATE`, [chainId]);
  const row = r.rows[0];
  if (!row) return;
  const cur = { low: Number(row.low), rolled: Number(row.rolled) };
  await addRange(c, -1, chainId, cur.low, Math.min(seq, cur.rolled));
  for (const sql of pruneSql()) await c.query(sql);
  await setCursor(c, chainId, Math.max(cur.low, seq + 1), Math.max(cur.rolled, seq));
}

async function inTransaction<T>(pool: Pool, work: (c: PoolClient) => Promise<T>, opts = 'BEGIN'): Promise<T> {
  const c = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  c.on('error', onError);
  try {
    await c.query(opts);
    const out = await work(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    if (!broken) await c.query('ROLLBACK').catch(() => (broken = true));
    throw err;
  } finally {
    c.removeListener('error', onError);
    c.release(broken);
  }
}

export function createPostgresRollup(pool: Pool, opts: { maxTail?: number } = {}): TrailRollup {
  const maxTail = opts.maxTail ?? ROLLUP_MAX_TAIL;
  let ready: Promise<void> | null = null;
  const ensure = () =>
    (ready ??= inTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      for (const s of rollupSchema('postgres')) await c.query(s);
    }).catch((err) => {
      ready = null;
      throw err;
    }));
  return {
    async count(q: RollupQuery): Promise<RollupAnswer> {
      await ensure();
      // One snapshot for the pending check and the count.
      return inTransaction(
        pool,
        async (c) => {
          const chains = await chainStates(c);
          const pending = pendingOf(chains);
          const withTail = pending <= maxTail;
          const { sql, params } = rollupCountSql(q, 'postgres', withTail ? tailOf(chains) : null);
          const r = await c.query<Record<string, unknown>>(sql, params);
          return { rows: countRowsOf(r.rows, q.by.length), pending: withTail ? 0 : pending };
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      );
    },
    async step(maxRecords = ROLLUP_STEP_RECORDS) {
      await ensure();
      const rolled = await inTransaction(pool, async (c) => {
        const locked = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ROLLUP_LOCK]);
        if (!locked.rows[0]?.ok) return 0;
        const chains = await chainStates(c);
        const known = await c.query<{ chain_id: string }>(`SELECT chain_id FROM ${CURSOR_TABLE}`);
        for (const { chain_id } of known.rows) if (!chains.some((x) => x.chain_id === chain_id)) chains.push({ chain_id, head: null, low: null, rolled: null });
        let budget = maxRecords;
        let total = 0;
        for (const ch of chains) {
          const r = await c.query<{ low: string; rolled: string }>(`SELECT low_seq AS low, rolled_seq AS rolled FROM ${CURSOR_TABLE} WHERE chain_id = $1 FOR UPDATE`, [ch.chain_id]);
          const cur = r.rows[0] ? { low: Number(r.rows[0].low), rolled: Number(r.rows[0].rolled) } : null;
          // Read after the lock: a purge that committed meanwhile moved both.
          const now = await c.query<{ low: string | null; head: string | null }>(
            `SELECT min(seq) AS low, max(seq) AS head FROM audit_records WHERE chain_id = $1`,
            [ch.chain_id],
          );
          const plan = planChainStep(cur, num(now.rows[0]?.low), num(now.rows[0]?.head), budget);
          if (!plan) continue;
          if (plan.reset) for (const t of ROLLUP_TABLES) await c.query(`DELETE FROM ${t.name} WHERE chain_id = $1`, [ch.chain_id]);
          await addRange(c, 1, ch.chain_id, plan.from, plan.to);
          await setCursor(c, ch.chain_id, plan.low, plan.rolled);
          const n = Math.max(0, plan.to - plan.from + 1);
          total += n;
          budget -= n;
          if (budget <= 0) break;
        }
        return total;
      });
      // Its locks are the rollup's own rows: no acknowledgement (an inbox insert) waits for them.
      return { rolled, behind: pendingOf(await chainStates(pool)), heldMs: 0 };
    },
    async close() {},
  };
}
