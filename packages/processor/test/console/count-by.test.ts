/**
 * store.countBy: the console's aggregation, the same answers from SQLite and PostgreSQL
 * (a private cluster, skipped when no PostgreSQL binaries are installed), over records
 * sealed by the real audit pipeline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { loadOrCreateSigningKey } from '../../src/chain/signing';
import { openPostgresStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import type { TrailStore } from '../../src/store/types';
import { memoryLogger, START_NS, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { type PgCluster, pgAvailability, startPgCluster } from '../scale/pg-cluster';

const MIN_NS = 60_000_000_000n;
const { bin, skip } = pgAvailability();
let dir: string;
let cluster: PgCluster | null = null;

/** 12 calls over 3 minutes: tools a (7) and b (5), actors x and y, two tool errors. */
async function fill(store: TrailStore): Promise<void> {
  const signer = loadOrCreateSigningKey(path.join(dir, `key-${store.kind}.pem`));
  const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), pairingWindowMs: 1 });
  const spans = Array.from({ length: 12 }, (_, i) =>
    toolSpan({ tool: i < 7 ? 'a' : 'b', actor: i % 3 === 0 ? 'x' : 'y', outcome: i === 2 || i === 9 ? 'tool_error' : 'ok', startNs: START_NS + BigInt(i % 3) * MIN_NS }),
  );
  await pipeline.traces(traces(...spans));
  await pipeline.close();
}

async function expectCounts(store: TrailStore): Promise<void> {
  const where = { since: '2025-11-21T04:00:00Z', until: '2025-11-21T05:00:00Z', method: 'tools/call' };
  expect(await store.countBy({ where, by: ['tool'] })).toEqual([
    { key: ['a'], n: 7 },
    { key: ['b'], n: 5 },
  ]);
  expect(await store.countBy({ where: { ...where, outcome: 'tool_error' }, by: ['actor_id'] })).toEqual([
    { key: ['x'], n: 1 },
    { key: ['y'], n: 1 },
  ]);
  const minutes = await store.countBy({ where, by: ['minute', 'outcome'] });
  // Time buckets come in time order, not by size.
  expect(minutes.map((r) => r.key[0])).toEqual([...minutes.map((r) => r.key[0])].sort());
  expect(minutes.reduce((n, r) => n + r.n, 0)).toBe(12);
  expect(new Set(minutes.map((r) => r.key[0])).size).toBe(3);
  expect(await store.countBy({ where: { ...where, tool: 'b' }, by: ['hour'] })).toEqual([{ key: ['2025-11-21T04'], n: 5 }]);
  expect(await store.countBy({ where, by: ['tool'], limit: 1 })).toEqual([{ key: ['a'], n: 7 }]);
  await expect(store.countBy({ where, by: ['body' as never] })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
  await expect(store.countBy({ where, by: [] })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
  // Time buckets are range counts: they need both bounds, and only outcome beside them.
  await expect(store.countBy({ where: { since: where.since }, by: ['minute'] })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
  await expect(store.countBy({ where, by: ['minute', 'tool'] })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
  expect((await store.countBy({ where, by: ['minute'] })).map((r) => r.n)).toEqual([4, 4, 4]);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-countby-'));
});
afterAll(() => {
  cluster?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('countBy', () => {
  it('SQLite groups in the database', async () => {
    const store = openSqliteStore({ path: path.join(dir, 'trail.db') });
    await fill(store);
    await expectCounts(store);
    await store.close();
  });

  it.skipIf(skip)('PostgreSQL gives the same answers', async () => {
    cluster = await startPgCluster(bin as string);
    const store = await openPostgresStore({ url: cluster.url, chainId: 'r1', connectTimeoutMs: 5000 });
    await fill(store);
    await expectCounts(store);
    await store.close();
  }, 120_000);
});
