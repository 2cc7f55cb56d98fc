/**
 * The rollup (rollup-sql.ts) on SQLite: a step or a forget is one better-sqlite3 transaction
 * that nothing else on its connection can interleave with. On a file trail steps run in a
 * worker thread (rollup-worker.ts); counts and retention's forget run on the caller's connection.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { countRowsOf } from './aggregate';
import { chainStateSql, CURSOR_TABLE, pruneSql, ROLLUP_TABLES, type RollupQuery, rollupCountSql, rollupSchema, rollupStepSql } from './rollup-sql';
import { tailOf, type ChainState, type ChainStep, pendingOf, planChainStep, ROLLUP_MAX_TAIL, ROLLUP_STEP_RECORDS, type RollupAnswer, type RollupStep, type TrailRollup } from './rollup-types';
import { gated } from './write-gate';

function hasRollup(db: Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(CURSOR_TABLE) !== undefined;
}

function addRange(db: Database, sign: 1 | -1, chainId: string, from: number, to: number): void {
  if (to < from) return;
  for (const sql of rollupStepSql('sqlite')) db.prepare(sql).run(...(sql.includes('?') ? [sign, chainId, from, to] : []));
}

function setCursor(db: Database, chainId: string, low: number, rolled: number): void {
  db.prepare(
    `INSERT INTO ${CURSOR_TABLE} (chain_id, low_seq, rolled_seq) VALUES (?, ?, ?) ON CONFLICT (chain_id) DO UPDATE SET low_seq = excluded.low_seq, rolled_seq = excluded.rolled_seq`,
  ).run(chainId, low, rolled);
}

/**
 * Retention's hook, inside its transaction and before it deletes records 1..seq of a chain:
 * takes what the rollup counted of them back out. Nothing to do on a trail without a rollup.
 */
export function forgetRolledSqlite(db: Database, chainId: string, seq: number): void {
  if (!hasRollup(db)) return;
  const cur = db.prepare(`SELECT low_seq AS low, rolled_seq AS rolled FROM ${CURSOR_TABLE} WHERE chain_id = ?`).get(chainId) as { low: number; rolled: number } | undefined;
  if (!cur) return;
  addRange(db, -1, chainId, cur.low, Math.min(seq, cur.rolled));
  for (const sql of pruneSql()) db.prepare(sql).run();
  setCursor(db, chainId, Math.max(cur.low, seq + 1), Math.max(cur.rolled, seq));
}

/**
 * One step on `db`: at most `maxRecords` more records, over the chains. Counting the records
 * (reading their JSON, the costly part) happens in a read transaction into a temp table, so
 * the write lock is held only to add those counts in (a sealer waits for that, not for the
 * reading); a purge that ran in between is seen and the step is simply done again later.
 */
export function stepSqliteRollup(db: Database, maxRecords: number): RollupStep {
  const chainStates = () => db.prepare(chainStateSql()).all() as ChainState[];
  const [create, clear, collect, ...apply] = rollupStepSql('sqlite') as [string, string, string, ...string[]];
  const cursorOf = db.prepare(`SELECT low_seq AS low, rolled_seq AS rolled FROM ${CURSOR_TABLE} WHERE chain_id = ?`);
  const minOf = db.prepare('SELECT min(seq) FROM audit_records WHERE chain_id = ?').pluck();
  db.exec(create);
  type Planned = { chainId: string; cursor: { low: number; rolled: number } | null; min: number | null; plan: ChainStep };
  const planned = db.transaction((): Planned[] => {
    db.prepare(clear).run();
    const chains = chainStates();
    const cursors = new Map(
      (db.prepare(`SELECT chain_id, low_seq AS low, rolled_seq AS rolled FROM ${CURSOR_TABLE}`).all() as Array<{ chain_id: string; low: number; rolled: number }>).map((c) => [
        c.chain_id,
        { low: c.low, rolled: c.rolled },
      ]),
    );
    for (const id of cursors.keys()) if (!chains.some((c) => c.chain_id === id)) chains.push({ chain_id: id, head: null, low: null, rolled: null });
    const out: Planned[] = [];
    let budget = maxRecords;
    for (const c of chains) {
      const cursor = cursors.get(c.chain_id) ?? null;
      const plan = planChainStep(cursor, c.low, c.head, budget);
      if (!plan) continue;
      if (plan.to >= plan.from) db.prepare(collect).run(1, c.chain_id, plan.from, plan.to);
      out.push({ chainId: c.chain_id, cursor, min: c.low, plan });
      budget -= Math.max(0, plan.to - plan.from + 1);
      if (budget <= 0) break;
    }
    return out;
  })();
  const addCounts = db.transaction((): number => {
    for (const p of planned) {
      const now = (cursorOf.get(p.chainId) as { low: number; rolled: number } | undefined) ?? null;
      if (now?.low !== p.cursor?.low || now?.rolled !== p.cursor?.rolled || ((minOf.get(p.chainId) as number | null) ?? null) !== p.min) return 0;
    }
    let total = 0;
    for (const p of planned) {
      if (p.plan.reset) for (const t of ROLLUP_TABLES) db.prepare(`DELETE FROM ${t.name} WHERE chain_id = ?`).run(p.chainId);
    }
    for (const sql of apply) db.prepare(sql).run();
    for (const p of planned) {
      setCursor(db, p.chainId, p.plan.low, p.plan.rolled);
      total += Math.max(0, p.plan.to - p.plan.from + 1);
    }
    return total;
  });
  // Through the process's write gate when this connection has one (the rollup worker's: write-gate.ts).
  // The hold is timed inside it: the catch-up sizes its next step from it.
  let heldMs = 0;
  const rolled = gated(db, () => {
    const took = performance.now();
    const n = addCounts.immediate();
    heldMs = performance.now() - took;
    return n;
  });
  return { rolled, behind: pendingOf(chainStates()), heldMs };
}

/** The compiled worker: beside this file in dist/, or dist/ seen from src/ (tests run the sources). */
function workerFile(): string {
  const here = path.join(__dirname, 'rollup-worker.js');
  return existsSync(here) ? here : path.join(__dirname, '..', '..', 'dist', 'store', 'rollup-worker.js');
}

/** Steps in a worker thread with its own connection: reading the records' JSON never stalls this thread. */
function workerStepper(file: string, writeGate: SharedArrayBuffer | null): { step(max: number): Promise<RollupStep>; close(): Promise<void> } {
  let worker: Worker | null = null;
  let next = 0;
  const waiting = new Map<number, { resolve: (r: RollupStep) => void; reject: (e: Error) => void }>();
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    worker = null;
  };
  const start = (): Worker => {
    const w = new Worker(workerFile(), { workerData: { path: file, writeGate } });
    w.unref();
    w.on('message', (m: { id: number; rolled?: number; behind?: number; heldMs?: number; error?: string }) => {
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (!p) return;
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve({ rolled: m.rolled ?? 0, behind: m.behind ?? 0, heldMs: m.heldMs ?? 0 });
    });
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`rollup worker exited with code ${code}`)));
    return w;
  };
  return {
    step(max) {
      worker ??= start();
      const id = ++next;
      const w = worker;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, max });
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}

export interface SqliteRollupOptions {
  /** Counts read unrolled records themselves up to this many. @default ROLLUP_MAX_TAIL */
  maxTail?: number;
  /** The trail's file: steps run in a worker thread on their own connection (not for `:memory:`). */
  path?: string;
  /** The trail's write gate (store/write-gate.ts), taken by the worker's write transactions. */
  writeGate?: SharedArrayBuffer | null;
}

export function createSqliteRollup(db: Database, opts: SqliteRollupOptions = {}): TrailRollup {
  const maxTail = opts.maxTail ?? ROLLUP_MAX_TAIL;
  let ready = false;
  const ensure = () => {
    if (ready) return;
    if (!hasRollup(db)) {
      db.transaction(() => {
        for (const s of rollupSchema('sqlite')) db.exec(s);
      })();
    }
    ready = true;
  };
  const chainStates = () => db.prepare(chainStateSql()).all() as ChainState[];
  const stepper = opts.path && opts.path !== ':memory:' ? workerStepper(opts.path, opts.writeGate ?? null) : null;
  return {
    async count(q: RollupQuery): Promise<RollupAnswer> {
      ensure();
      // One read transaction: the pending check and the count see the same trail.
      return db.transaction(() => {
        const chains = chainStates();
        const pending = pendingOf(chains);
        const withTail = pending <= maxTail;
        const { sql, params } = rollupCountSql(q, 'sqlite', withTail ? tailOf(chains) : null);
        const rows = db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
        return { rows: countRowsOf(rows, q.by.length), pending: withTail ? 0 : pending };
      })();
    },
    async step(maxRecords = ROLLUP_STEP_RECORDS) {
      ensure();
      return stepper ? stepper.step(maxRecords) : stepSqliteRollup(db, maxRecords);
    },
    async close() {
      await stepper?.close();
    },
  };
}
