import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { purgeBefore } from '../../src/chain/retention';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore } from '../../src/store/sqlite';
import { auditLog, logs, memoryLogger } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { buildTrail, tamper, type BuiltTrail } from './trail-fixture';

let trail: BuiltTrail;
let n = 0;
beforeAll(async () => {
  trail = await buildTrail(50, 10);
});
afterAll(() => trail.cleanup());

function copy(): string {
  const target = path.join(trail.dir, `retention-${n++}.db`);
  fs.copyFileSync(trail.dbPath, target);
  fs.copyFileSync(defaultSigningKeyPath(trail.dbPath), defaultSigningKeyPath(target));
  return target;
}

describe('purgeBefore', () => {
  it('purges whole segments behind the newest checkpoint older than the cutoff; verify still passes', async () => {
    const store = openSqliteStore({ path: copy() });
    const cutoff = new Date(trail.checkpointTimes.get(20)! + 1);
    const res = await purgeBefore(store, cutoff);
    expect(res).toEqual({ purged: 20, chains: [{ chain_id: 'main', anchor_seq: 20, purged: 20 }] });
    expect((await store.checkpoints('main')).map((c) => c.seq)).toEqual([20, 30, 40, 50]);
    const report = await verifyTrail(store, trail.publicKeyPem);
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ records: 30, first_seq: 21, last_seq: 50 });
    // Nothing younger than the cutoff was touched.
    const oldest = (await store.query({ limit: 1 }))[0]!;
    expect(oldest.seq).toBe(21);
    await store.close();
  });

  it('keeps everything when no checkpoint is older than the cutoff', async () => {
    const store = openSqliteStore({ path: copy() });
    const res = await purgeBefore(store, new Date(trail.checkpointTimes.get(10)! - 1));
    expect(res.purged).toBe(0);
    expect(await store.count()).toBe(50);
    await store.close();
  });

  it('after purging everything, the anchor carries the chain on: new records link to it and verify passes', async () => {
    const dbPath = copy();
    const store = openSqliteStore({ path: dbPath });
    expect((await purgeBefore(store, new Date('2100-01-01T00:00:00Z'))).purged).toBe(50);
    expect(await store.count()).toBe(0);
    expect((await verifyTrail(store, trail.publicKeyPem)).ok).toBe(true);
    const pipeline = createAuditPipeline({
      store,
      redactor: testRedactor(),
      signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)),
      logger: memoryLogger(),
    });
    await pipeline.logs(logs(auditLog({ flags: 0 })));
    await pipeline.close();
    const report = await verifyTrail(store, trail.publicKeyPem);
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ records: 1, first_seq: 51, last_seq: 51 });
    await store.close();
  });

  it('a head removed outside retention (no anchor checkpoint) is a gap', async () => {
    const dbPath = copy();
    tamper(dbPath, (d) => d.prepare(`DELETE FROM audit_records WHERE seq <= 15`).run());
    const store = openSqliteStore({ path: dbPath });
    const report = await verifyTrail(store, trail.publicKeyPem);
    expect(report.ok).toBe(false);
    expect(report.chains[0]!.problem).toMatchObject({ kind: 'gap', seq: 15 });
    await store.close();
  });

  it('rejects an invalid cutoff', async () => {
    const store = openSqliteStore({ path: copy() });
    await expect(purgeBefore(store, new Date('nope'))).rejects.toThrow(/cutoff/);
    await store.close();
  });
});
