import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '@mcptrail/conventions';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { chainHash } from '../../src/chain/hash';
import { defaultSigningKeyPath, loadOrCreateSigningKey, publicKeyPathFor } from '../../src/chain/signing';
import { openSqliteStore } from '../../src/store/sqlite';
import { auditLog, logs, memoryLogger } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

export interface BuiltTrail {
  dir: string;
  dbPath: string;
  publicKeyPem: string;
  /** Clock value (ms) at which each checkpoint was signed, by seq. */
  checkpointTimes: Map<number, number>;
  cleanup(): void;
}

/**
 * A real trail written through the pipeline: `records` calls, a checkpoint every
 * `every` records, the clock advancing one minute per record.
 */
export async function buildTrail(records = 50, every = 10): Promise<BuiltTrail> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-chain-'));
  const dbPath = path.join(dir, 'trail.db');
  const store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
  let now = Date.parse('2026-01-01T00:00:00Z');
  const pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer,
    logger: memoryLogger(),
    clock: () => now,
    checkpointEvery: { records: every, seconds: 3600 },
  });
  for (let i = 0; i < records; i++) {
    // Unsampled audit log records seal at once: one record per call, in order.
    await pipeline.logs(logs(auditLog({ flags: 0, tool: `tool_${i % 7}`, startNs: BigInt(now) * 1_000_000n })));
    await pipeline.flush();
    now += 60_000;
  }
  await pipeline.close();
  const checkpointTimes = new Map((await store.checkpoints('main')).map((c) => [c.seq, Date.parse(c.time)]));
  await store.close();
  return {
    dir,
    dbPath,
    publicKeyPem: fs.readFileSync(publicKeyPathFor(defaultSigningKeyPath(dbPath)), 'utf8'),
    checkpointTimes,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Opens the SQLite file directly, as an attacker with file access would. */
export function tamper(dbPath: string, fn: (db: Database.Database) => void): void {
  const db = new Database(dbPath);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

export function rowAt(db: Database.Database, seq: number): { seq: number; hash: string; body: string } {
  return db.prepare(`SELECT seq, hash, body FROM audit_records WHERE chain_id = 'main' AND seq = ?`).get(seq) as {
    seq: number;
    hash: string;
    body: string;
  };
}

/** A record body an attacker builds with correct hashing, linked to `prevHash`. */
export function forgeBody(template: string, changes: Record<string, unknown>): { body: string; hash: string } {
  const obj = { ...(JSON.parse(template) as Record<string, unknown>), ...changes };
  const body = canonicalJson(obj);
  return { body, hash: chainHash(obj.prev_hash as string, body) };
}

/** Renumbers rows with seq >= from by `delta`, dodging the primary key. */
export function shiftSeqs(db: Database.Database, from: number, delta: number): void {
  db.prepare(`UPDATE audit_records SET seq = -seq WHERE seq >= ?`).run(from);
  db.prepare(`UPDATE audit_records SET seq = -seq + ? WHERE seq < 0`).run(delta);
}
