/**
 * The same real trail on SQLite and on PostgreSQL (a private cluster, see scale/pg-cluster.ts),
 * built through the audit pipeline, with its checkpoints published to a witness file; each
 * attack gets a fresh copy and the attacker's raw SQL access to it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { canonicalJson } from '@mcptrail/conventions';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { buildCheckpoint } from '../../src/chain/checkpoint';
import { chainHash } from '../../src/chain/hash';
import { type CheckpointSigner, loadOrCreateSigningKey } from '../../src/chain/signing';
import { checkpointFromRow, checkpointToRow } from '../../src/store/checkpoint-rows';
import { openPostgresStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import type { AuditStore, Checkpoint, TrailStore } from '../../src/store/types';
import { openFileWitness } from '../../src/witness/file-witness';
import { auditLog, logs, memoryLogger } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { type PgCluster, startPgCluster } from '../scale/pg-cluster';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

/**
 * The same store without its packed reader: verify reads every record as a row, as it did
 * before packedRange (and as it does on PostgreSQL). Both readers must give the same reports.
 */
export function rowReaderOnly<S extends AuditStore>(store: S): S {
  return Object.create(store, { packedRange: { value: undefined } }) as S;
}

export interface Row {
  seq: number;
  hash: string;
  body: string;
}

/** A copy of the pristine trail, open, plus the attacker's SQL (`?` placeholders on both engines). */
export interface TrailCopy {
  store: AuditStore;
  sql(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh empty store for building another trail (the attacker's replacement). */
  empty(): Promise<{ store: TrailStore; close(): Promise<void> }>;
  copy(): Promise<TrailCopy>;
  destroy(): void;
}

export interface Pristine {
  dir: string;
  signer: CheckpointSigner;
  publicKeyPem: string;
  witnessFile: string;
}

/**
 * `records` calls, one a minute from T0, a checkpoint every `every`; alert events after
 * records 15 (raised, acknowledged) and 35 (resolved). Every checkpoint goes to `witnessFile`.
 */
export async function fillTrail(store: TrailStore, signer: CheckpointSigner, opts: { records?: number; every?: number; witnessFile?: string; tool?: (i: number) => string } = {}): Promise<void> {
  const records = opts.records ?? 50;
  let now = T0;
  const witness = opts.witnessFile ? openFileWitness(opts.witnessFile) : null;
  const pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer,
    logger: memoryLogger(),
    clock: () => now,
    checkpointEvery: { records: opts.every ?? 10, seconds: 3600 },
  });
  if (witness) pipeline.onCheckpoint((cp) => witness.publish(cp, signer.publicKey));
  await pipeline.checkpointNow();
  for (let i = 0; i < records; i++) {
    await pipeline.logs(logs(auditLog({ flags: 0, tool: opts.tool?.(i) ?? `tool_${i % 7}`, outcome: i === 20 ? 'denied' : 'ok', startNs: BigInt(now) * 1_000_000n })));
    await pipeline.flush();
    if (i === 14) {
      await store.appendAlertEvents([
        { event: 'raised', alert_id: 'a1', rule_id: 'volume-spike', time: new Date(now).toISOString(), level: 'high', summary: 'spike', evidence: ['main#15'] },
        { event: 'acknowledged', alert_id: 'a1', rule_id: 'volume-spike', time: new Date(now).toISOString(), actor: 'alice' },
      ]);
    }
    if (i === 34) await store.appendAlertEvents([{ event: 'resolved', alert_id: 'a1', rule_id: 'volume-spike', time: new Date(now).toISOString(), actor: 'bob' }]);
    now += 60_000;
  }
  await pipeline.close();
}

export function sqliteBackend(pristine: Pristine): Backend & { build(): Promise<void> } {
  const dbPath = path.join(pristine.dir, 'pristine.db');
  let n = 0;
  const wrap = (file: string): TrailCopy => {
    const store = openSqliteStore({ path: file });
    return {
      store,
      async sql(text, params = []) {
        const stmt = store.db.prepare(text);
        return stmt.reader ? (stmt.all(...params) as Array<Record<string, unknown>>) : (stmt.run(...params), []);
      },
      close: () => store.close(),
    };
  };
  return {
    name: 'sqlite',
    async build() {
      const store = openSqliteStore({ path: dbPath });
      await fillTrail(store, pristine.signer, { witnessFile: pristine.witnessFile });
      await store.close();
    },
    async empty() {
      const store = openSqliteStore({ path: path.join(pristine.dir, `empty-${n++}.db`) });
      return { store, close: () => store.close() };
    },
    async copy() {
      const file = path.join(pristine.dir, `copy-${n++}.db`);
      fs.copyFileSync(dbPath, file);
      return wrap(file);
    },
    destroy: () => undefined,
  };
}

export function postgresBackend(pristine: Pristine, bin: string): Backend & { build(): Promise<void> } {
  let cluster: PgCluster;
  let n = 0;
  const admin = async (text: string) => {
    const c = new Client({ connectionString: cluster.url });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  const urlOf = (db: string) => cluster.url.replace(/\/postgres$/, `/${db}`);
  return {
    name: 'postgres',
    async build() {
      cluster = await startPgCluster(bin);
      await admin('CREATE DATABASE pristine');
      const store = await openPostgresStore({ url: urlOf('pristine'), chainId: 'main' });
      await fillTrail(store, pristine.signer, { witnessFile: pristine.witnessFile });
      await store.close();
    },
    async empty() {
      const name = `empty${n++}`;
      await admin(`CREATE DATABASE ${name}`);
      const store = await openPostgresStore({ url: urlOf(name), chainId: 'main' });
      return { store, close: () => store.close() };
    },
    async copy() {
      const name = `copy${n++}`;
      await admin(`CREATE DATABASE ${name} TEMPLATE pristine`);
      const store = await openPostgresStore({ url: urlOf(name), chainId: 'main' });
      const client = new Client({ connectionString: urlOf(name) });
      await client.connect();
      return {
        store,
        async sql(text, params = []) {
          let i = 0;
          const r = await client.query(text.replace(/\?/g, () => `$${++i}`), params);
          // bigint columns come back as strings: the attacker's helpers want numbers.
          return r.rows.map((row: Record<string, unknown>) => ({ ...row, ...(row.seq !== undefined ? { seq: Number(row.seq) } : {}) }));
        },
        async close() {
          await client.end();
          await store.close();
        },
      };
    },
    destroy: () => cluster?.destroy(),
  };
}

export function makePristine(): Pristine {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-tamper-'));
  const signer = loadOrCreateSigningKey(path.join(dir, 'keys', 'trail.ed25519.pem'));
  return { dir, signer, publicKeyPem: signer.publicKeyPem, witnessFile: path.join(dir, 'witness', 'trail.main.witness') };
}

// --- the attacker's tools ---

export async function rowAt(t: TrailCopy, seq: number): Promise<Row> {
  const [row] = await t.sql(`SELECT seq, hash, body FROM audit_records WHERE chain_id = 'main' AND seq = ?`, [seq]);
  return row as unknown as Row;
}

export async function setRow(t: TrailCopy, seq: number, body: string, hash: string): Promise<void> {
  await t.sql(`UPDATE audit_records SET body = ?, hash = ? WHERE chain_id = 'main' AND seq = ?`, [body, hash, seq]);
}

/** Rewrites record `seq` with `changes` and re-hashes it and every later record, as someone who knows the hashing would. */
export async function editAndRehash(t: TrailCopy, seq: number, changes: Record<string, unknown>): Promise<void> {
  let prev = seq === 1 ? '0'.repeat(64) : (await rowAt(t, seq - 1)).hash;
  const rows = (await t.sql(`SELECT seq, hash, body FROM audit_records WHERE chain_id = 'main' AND seq >= ? ORDER BY seq`, [seq])) as unknown as Row[];
  for (const row of rows) {
    const obj = { ...(JSON.parse(row.body) as Record<string, unknown>), prev_hash: prev, ...(row.seq === seq ? changes : {}) };
    const body = canonicalJson(obj);
    const hash = chainHash(prev, body);
    await setRow(t, row.seq, body, hash);
    prev = hash;
  }
}

export async function checkpointsOf(t: TrailCopy): Promise<Checkpoint[]> {
  return (await t.sql(`SELECT * FROM checkpoints WHERE chain_id = 'main' ORDER BY seq`)).map(checkpointFromRow);
}

/** Deletes every checkpoint and signs new ones at the same sizes and times over the (rewritten) records, with `signer`. */
export async function resignAll(t: TrailCopy, signer: CheckpointSigner): Promise<void> {
  const old = await checkpointsOf(t);
  const rows = (await t.sql(`SELECT seq, hash FROM audit_records WHERE chain_id = 'main' ORDER BY seq`)) as unknown as Row[];
  await t.sql(`DELETE FROM checkpoints`);
  let last: Checkpoint | null = null;
  for (const cp of old) {
    const leaves = rows.filter((r) => r.seq > (last?.seq ?? 0) && r.seq <= cp.seq).map((r) => r.hash);
    const head = { seq: cp.seq, hash: cp.seq === 0 ? '0'.repeat(64) : rows.find((r) => r.seq === cp.seq)!.hash };
    const next: Checkpoint = buildCheckpoint(
      { head, last, leaves, alerts: { seq: cp.alerts_seq, hash: cp.alerts_hash } },
      { chainId: 'main', origin: cp.origin, time: cp.time, signer },
    );
    const row = checkpointToRow(next);
    await t.sql(
      `INSERT INTO checkpoints (chain_id, seq, hash, time, signature, key_id, origin, root, prev, alerts_seq, alerts_hash, frontier) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.chain_id, row.seq, row.hash, row.time, row.signature, row.key_id, row.origin, row.root, row.prev, row.alerts_seq, row.alerts_hash, row.frontier],
    );
    last = next;
  }
}

export { Database };
