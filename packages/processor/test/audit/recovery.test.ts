/**
 * Killed between append and seal: every request acknowledged before a SIGKILL is in the
 * durable inbox; the next start pairs and seals all of it exactly once (keyed calls and
 * keyless log records alike), the chain stays gapless and verifies, and a further restart
 * seals nothing again. Control: with the inbox's progress notes erased, the same check
 * does see keyless records sealed twice.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { memoryLogger } from './fixtures';
import { testRedactor } from './redactor';

// Spawns the built pipeline: run `npx tsc -b` in packages/processor first.
const CHILD = path.join(__dirname, 'child', 'ack-then-kill.js');
const PER_BATCH = 12;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-recovery-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const id = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

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
        if (!killed && line.startsWith('ack ')) acked.add(Number(line.slice(4)));
      }
      if (!killed && acked.size >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

async function restart(dbPath: string): Promise<{ store: SqliteAuditStore; sealed: number }> {
  const store = openSqliteStore({ path: dbPath });
  const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)), logger: memoryLogger() });
  await pipeline.close();
  return { store, sealed: pipeline.stats().sealed };
}

interface Census {
  missing: string[];
  twice: string[];
}

/** For every call of the acknowledged batches: is it in the trail, and how many times. */
function census(store: SqliteAuditStore, acked: Set<number>): Census {
  const byKey = store.db.prepare(`SELECT count(*) FROM audit_records WHERE trace_id = ? AND span_id = ?`).pluck();
  const byArgs = store.db.prepare(`SELECT count(*) FROM audit_records WHERE trace_id IS NULL AND json_extract(body, '$.args.k') = ?`).pluck();
  const out: Census = { missing: [], twice: [] };
  for (const b of acked) {
    for (let i = 0; i < PER_BATCH; i++) {
      const n = (i % 3 === 2 ? byArgs.get(`${b}/${i}`) : byKey.get(id(`t${b}/${i}`, 32), id(`s${b}/${i}`, 16))) as number;
      if (n === 0) out.missing.push(`${b}/${i}`);
      if (n > 1) out.twice.push(`${b}/${i}`);
    }
  }
  return out;
}

describe('recovery after a kill between append and seal', () => {
  it('the next start seals everything acknowledged exactly once; the chain is gapless and verifies', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const acked = await ingestThenKill(dbPath, 40);

    const before = openSqliteStore({ path: dbPath });
    // The kill left acknowledged drafts unsealed: the lone spans wait a 60 s window.
    expect(before.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBeGreaterThan(0);
    expect(census(before, acked).missing.length).toBeGreaterThanOrEqual(acked.size * 4);
    // Copy of the killed state for the control below.
    await before.close();
    fs.copyFileSync(dbPath, path.join(dir, 'control.db'));
    for (const ext of ['-wal', '.ed25519.pem', '.ed25519.pub.pem']) {
      if (fs.existsSync(dbPath + ext)) fs.copyFileSync(dbPath + ext, path.join(dir, 'control.db') + ext);
    }

    const { store, sealed } = await restart(dbPath);
    expect(sealed).toBeGreaterThan(0);
    expect(census(store, acked)).toEqual({ missing: [], twice: [] });
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
    const report = await verifyTrail(store, loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)).publicKey);
    expect(report.chains[0]!.problem).toBeNull();
    expect(report.ok).toBe(true);
    const records = await store.count();
    // seq 1..n without a gap (verify checks links; this checks numbering).
    expect(store.db.prepare(`SELECT max(seq) - min(seq) + 1 FROM audit_records`).pluck().get()).toBe(records);
    await store.close();

    // A further restart finds nothing to seal.
    const again = await restart(dbPath);
    expect(again.sealed).toBe(0);
    expect(await again.store.count()).toBe(records);
    await again.store.close();

    // Control: erase the progress notes of partly sealed entries: keyless records sealed
    // before the kill are sealed again, and the census sees it.
    const control = path.join(dir, 'control.db');
    const c0 = openSqliteStore({ path: control });
    const noted = c0.db.prepare(`UPDATE audit_inbox SET done = NULL WHERE done IS NOT NULL`).run().changes;
    await c0.close();
    expect(noted).toBeGreaterThan(0);
    const c1 = await restart(control);
    expect(census(c1.store, acked).twice.length).toBeGreaterThan(0);
    await c1.store.close();
  }, 120_000);
});

describe('upgrade from the per-draft staging table (schema v1)', () => {
  it('drafts a v1 file still had staged are moved to the inbox and sealed once, paired', async () => {
    const dbPath = path.join(dir, 'v1.db');
    const Database = (await import('better-sqlite3')).default;
    const v1 = new Database(dbPath);
    v1.exec(`CREATE TABLE audit_staging (id INTEGER PRIMARY KEY AUTOINCREMENT, trace_id TEXT, span_id TEXT,
      kind TEXT NOT NULL, draft TEXT NOT NULL, ready_at INTEGER NOT NULL)`);
    const draft = (kind: string, extra: Record<string, unknown>) =>
      JSON.stringify({ time: '2026-11-21T10:00:00.000Z', service: 'legacy', side: 'server', method: 'tools/call', tool: 'get_weather', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), outcome: 'ok', source: kind, ...extra });
    const ins = v1.prepare(`INSERT INTO audit_staging (trace_id, span_id, kind, draft, ready_at) VALUES (?, ?, ?, ?, 0)`);
    ins.run('a'.repeat(32), 'b'.repeat(16), 'span', draft('span', {}));
    ins.run('a'.repeat(32), 'b'.repeat(16), 'log', draft('log', { args: { city: 'Oslo' } }));
    v1.close();

    const store = openSqliteStore({ path: dbPath });
    expect(store.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'audit_staging'`).get()).toBeUndefined();
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(1);
    await store.close();
    const { store: after } = await restart(dbPath);
    const records = await after.query({});
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ source: 'span+log', args: { city: 'Oslo' }, service: 'legacy' });
    expect(after.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
    await after.close();
  });
});
