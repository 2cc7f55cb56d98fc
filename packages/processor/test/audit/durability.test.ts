import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey, publicKeyPathFor } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore } from '../../src/store/sqlite';
import { memoryLogger } from './fixtures';
import { testRedactor } from './redactor';

// Spawns the built pipeline: run `npx tsc -b` in packages/processor first.
const CHILD = path.join(__dirname, 'child', 'ingest-until-killed.js');
const PER_BATCH = 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-durability-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const id = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Runs the child until it has acknowledged `acks` batches, then SIGKILLs it mid-stream. */
function ingestThenKill(dbPath: string, acks: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dbPath, String(PER_BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<number>();
    let stderr = '';
    let buf = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // Only acknowledgements printed before the kill count: the child may print more while dying.
        if (!killed && line.startsWith('ack ')) acked.add(Number(line.slice(4)));
      }
      if (!killed && acked.size >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe('durability', () => {
  it('every batch acknowledged before SIGKILL is in the trail after restart, and verify passes', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const acked = await ingestThenKill(dbPath, 60);
    expect(acked.size).toBeGreaterThanOrEqual(60);

    // Restart: staged drafts of the dead process are sealed by the new pipeline.
    const store = openSqliteStore({ path: dbPath });
    // The kill left acknowledged drafts in the inbox (span-only calls inside their pairing window).
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBeGreaterThan(0);
    const pipeline = createAuditPipeline({
      store,
      redactor: testRedactor(),
      signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)),
      logger: memoryLogger(),
    });
    await pipeline.close();

    const missing: string[] = [];
    const select = store.db.prepare(`SELECT json_extract(body, '$.source') FROM audit_records WHERE trace_id = ? AND span_id = ?`).pluck();
    for (const b of acked) {
      for (let i = 0; i < PER_BATCH; i++) {
        const source = select.get(id(`t${b}/${i}`, 32), id(`s${b}/${i}`, 16));
        if (source === undefined) missing.push(`${b}/${i}`);
        // Calls whose log record was acknowledged too were merged into one record.
        else if (i % 2 === 0) expect(source).toBe('span+log');
      }
    }
    expect(missing).toEqual([]);
    const staging = store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get();
    expect(staging).toBe(0);
    const report = await verifyTrail(store, fs.readFileSync(publicKeyPathFor(defaultSigningKeyPath(dbPath)), 'utf8'));
    expect(report.chains[0]!.problem).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.records).toBeGreaterThanOrEqual(acked.size * PER_BATCH);
    await store.close();
  }, 120_000);
});
