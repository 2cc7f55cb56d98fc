/**
 * The rollup's counts equal a scan of the records, on randomised trails sealed by the real
 * audit pipeline into SQLite and PostgreSQL (a private cluster; skipped without binaries):
 * two chains, a rollup left part-way (records not rolled up yet), late-sealed records (old
 * times, new seqs), retention purges, and a purge that bypassed the rollup (an older build).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ATTR_ENDUSER_ID, ATTR_MCP_AUDIT_OUTCOME, type AuditRecord } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { loadOrCreateSigningKey } from '../../src/chain/signing';
import { openPostgresStore } from '../../src/store/postgres';
import type { RollupDimension, RollupQuery } from '../../src/store/rollup-sql';
import { createSqliteRollup } from '../../src/store/rollup-sqlite';
import type { TrailRollup } from '../../src/store/rollup-types';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import type { TrailStore } from '../../src/store/types';
import { memoryLogger, START_NS, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { type PgCluster, pgAvailability, startPgCluster } from '../scale/pg-cluster';

const { bin, skip } = pgAvailability();
const HOUR_MS = 3_600_000;
const T0 = Number(START_NS / 1_000_000n);
let dir: string;
let cluster: PgCluster | null = null;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const SERVICES = ['orders', 'weather'];
const TOOLS = ['get_weather', 'lookup', 'delete_all'];
const ACTORS = ['alice', 'bob', 'svc-1', null];
const OUTCOMES = ['ok', 'ok', 'ok', 'tool_error', 'error', 'denied'];
const METHODS = ['tools/call', 'tools/call', 'tools/call', 'tools/list', 'initialize'];
/** Three days and a bit: day, hour and minute buckets all have whole and partial parts. */
const SPAN_MS = 3 * 24 * HOUR_MS + 5 * HOUR_MS;

/** Seals `n` calls through the pipeline; `late` puts them before everything sealed so far. */
async function seal(store: TrailStore, r: () => number, n: number, late = false): Promise<void> {
  const signer = loadOrCreateSigningKey(path.join(dir, `key-${store.kind}-${store.chainId}.pem`));
  const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), pairingWindowMs: 1, checkpointEvery: { records: 40, seconds: 3600 } });
  const spans = Array.from({ length: n }, () => {
    const ms = late ? T0 - Math.floor(r() * 6 * HOUR_MS) : T0 + Math.floor(r() * SPAN_MS);
    const actor = pick(r, ACTORS);
    const span = toolSpan({
      service: pick(r, SERVICES),
      tool: pick(r, TOOLS),
      method: pick(r, METHODS),
      ...(actor ? { actor } : {}),
      startNs: BigInt(ms) * 1_000_000n + BigInt(Math.floor(r() * 1e6)),
      extra: { [ATTR_MCP_AUDIT_OUTCOME]: pick(r, OUTCOMES) },
    });
    if (!actor) delete span.attributes[ATTR_ENDUSER_ID];
    return span;
  });
  await pipeline.traces(traces(...spans));
  await pipeline.close();
}

async function allRecords(stores: readonly TrailStore[]): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (const chainId of await stores[0]!.chains()) for await (const rec of stores[0]!.iterate({ chainId })) out.push(rec);
  return out;
}

const PREFIX: Record<string, number> = { minute: 16, hour: 13, day: 10 };

/** What a scan of the records gives: the truth the rollup must equal. */
function scan(records: readonly AuditRecord[], q: RollupQuery): string[] {
  const since = new Date(q.where.since).toISOString();
  const until = new Date(q.where.until).toISOString();
  const counts = new Map<string, number>();
  for (const rec of records) {
    if (rec.time < since || rec.time >= until) continue;
    if ((['service', 'method', 'tool', 'actor_id', 'outcome'] as const).some((c) => q.where[c] !== undefined && rec[c] !== q.where[c])) continue;
    const key = JSON.stringify(q.by.map((d) => (d in PREFIX ? rec.time.slice(0, PREFIX[d]) : (rec[d as keyof AuditRecord] ?? null))));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).sort();
}

const BYS: RollupDimension[][] = [['outcome'], ['hour', 'outcome'], ['minute'], ['day', 'tool'], ['actor_id', 'outcome'], ['service', 'tool', 'outcome'], ['method'], ['actor_id', 'hour']];

function randomQuery(r: () => number): RollupQuery {
  const lo = T0 - 8 * HOUR_MS + Math.floor(r() * (SPAN_MS + 10 * HOUR_MS));
  const wide = r() < 0.5;
  const hi = wide ? lo + Math.floor(r() * SPAN_MS) : lo + Math.floor(r() * 3 * HOUR_MS);
  const where: RollupQuery['where'] = { since: new Date(lo).toISOString(), until: new Date(Math.max(hi, lo + 1)).toISOString() };
  if (r() < 0.3) where.service = pick(r, SERVICES);
  if (r() < 0.3) where.tool = pick(r, TOOLS);
  if (r() < 0.3) where.actor_id = pick(r, ACTORS.filter((a) => a !== null)) as string;
  if (r() < 0.2) where.outcome = pick(r, OUTCOMES) as RollupQuery['where']['outcome'];
  if (r() < 0.2) where.method = 'tools/call';
  return { where, by: pick(r, BYS) };
}

/** The whole trail, and 40 random ranges/filters/groupings: rollup answer == scan answer. */
async function expectExact(rollup: TrailRollup, stores: readonly TrailStore[], r: () => number, label: string): Promise<void> {
  const records = await allRecords(stores);
  const queries = [{ where: { since: new Date(T0 - 24 * HOUR_MS).toISOString(), until: new Date(T0 + SPAN_MS + HOUR_MS).toISOString() }, by: ['outcome'] as RollupDimension[] }];
  for (let i = 0; i < 40; i++) queries.push(randomQuery(r));
  for (const q of queries) {
    const answer = await rollup.count({ ...q, limit: 100_000 });
    expect(answer.pending, label).toBe(0);
    const got = answer.rows.map((row) => `${JSON.stringify(row.key)} ${row.n}`).sort();
    expect(got, `${label}: ${JSON.stringify(q)}`).toEqual(scan(records, q));
  }
}

async function stepAll(rollup: TrailRollup): Promise<void> {
  for (let i = 0; i < 1000; i++) if ((await rollup.step(97)).behind === 0) return;
  throw new Error('rollup did not catch up');
}

/** The scenario for one backend; `stores` are two chains of one trail. */
async function scenario(stores: [TrailStore, TrailStore], seed: number): Promise<void> {
  const r = rng(seed);
  const [a, b] = stores;
  const rollup = a.rollup();
  await seal(a, r, 220);
  await seal(b, r, 130);
  // Nothing rolled up yet: all tail.
  await expectExact(rollup, stores, r, 'before any step');
  await rollup.step(150);
  await expectExact(rollup, stores, r, 'part-way');
  await stepAll(rollup);
  await expectExact(rollup, stores, r, 'caught up');
  // Late-sealed records: old times, new seqs (a client that exported late).
  await seal(a, r, 60, true);
  await seal(b, r, 40);
  await expectExact(rollup, stores, r, 'late records, not rolled');
  await rollup.step(50);
  await expectExact(rollup, stores, r, 'late records, part-way');
  // Retention through a checkpoint of chain a, while part of it is rolled up and part not.
  const anchor = (await a.checkpoints(a.chainId)).find((cp) => cp.seq > 100);
  expect(anchor).toBeDefined();
  const purged = await a.purgeThrough(a.chainId, anchor!.seq);
  expect(purged.purged).toBe(anchor!.seq - 0);
  await expectExact(rollup, stores, r, 'after retention');
  await stepAll(rollup);
  await expectExact(rollup, stores, r, 'after retention, caught up');
  // Retention of everything chain b holds.
  const bHead = (await b.query({ chain_id: b.chainId, limit: 1 }, 'desc'))[0]!;
  await b.purgeThrough(b.chainId, bHead.seq);
  await stepAll(rollup);
  await expectExact(rollup, stores, r, 'chain b emptied');
  await seal(b, r, 30);
  await seal(a, r, 30);
  await expectExact(rollup, stores, r, 'new records after retention');
  await stepAll(rollup);
  await expectExact(rollup, stores, r, 'the end');
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-rollup-'));
});
afterAll(() => {
  cluster?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('rollup == scan', () => {
  for (const seed of [1, 2]) {
    it(`SQLite, seed ${seed}`, async () => {
      const file = path.join(dir, `trail-${seed}.db`);
      const stores: [SqliteAuditStore, SqliteAuditStore] = [openSqliteStore({ path: file, chainId: 'a' }), openSqliteStore({ path: file, chainId: 'b' })];
      await scenario(stores, seed);
      await Promise.all(stores.map((s) => s.close()));
    }, 120_000);
  }

  it('SQLite: a purge that bypassed the rollup (an older build) makes the chain start over', async () => {
    const file = path.join(dir, 'bypass.db');
    const stores: [SqliteAuditStore, SqliteAuditStore] = [openSqliteStore({ path: file, chainId: 'a' }), openSqliteStore({ path: file, chainId: 'b' })];
    const r = rng(7);
    await seal(stores[0], r, 200);
    await seal(stores[1], r, 50);
    const rollup = stores[0].rollup();
    await stepAll(rollup);
    stores[0].db.prepare(`DELETE FROM audit_records WHERE chain_id = 'a' AND seq <= 80`).run();
    // Control: the counts are wrong until a step notices (this test can fail).
    const records = await allRecords(stores);
    const whole = { where: { since: new Date(T0 - 24 * HOUR_MS).toISOString(), until: new Date(T0 + SPAN_MS + HOUR_MS).toISOString() }, by: ['outcome'] as RollupDimension[] };
    expect((await rollup.count(whole)).rows.map((x) => `${JSON.stringify(x.key)} ${x.n}`).sort()).not.toEqual(scan(records, whole));
    await stepAll(rollup);
    await expectExact(rollup, stores, r, 'after the bypassing purge');
    await Promise.all(stores.map((s) => s.close()));
  }, 120_000);

  it('SQLite: while a large catch-up runs, a count leaves the unrolled records out and says how many', async () => {
    const file = path.join(dir, 'pending.db');
    const store = openSqliteStore({ path: file, chainId: 'a' });
    const r = rng(9);
    await seal(store, r, 120);
    const rollup = createSqliteRollup(store.db, { maxTail: 50 });
    const whole = { where: { since: new Date(T0 - 24 * HOUR_MS).toISOString(), until: new Date(T0 + SPAN_MS + HOUR_MS).toISOString() }, by: ['outcome'] as RollupDimension[] };
    const total = (a: { rows: Array<{ n: number }> }) => a.rows.reduce((n, x) => n + x.n, 0);
    await rollup.step(30);
    const part = await rollup.count(whole);
    expect(part.pending).toBe(90);
    // The whole-day part comes from the rollup (30 records), the partial days at the ends from the records.
    expect(total(part)).toBeLessThan(120);
    await rollup.step(40);
    const exact = await rollup.count(whole);
    expect(exact.pending).toBe(0);
    expect(total(exact)).toBe(120);
    await store.close();
  }, 60_000);

  it.skipIf(skip)('PostgreSQL, two replicas', async () => {
    cluster = await startPgCluster(bin as string);
    const stores: [TrailStore, TrailStore] = [
      await openPostgresStore({ url: cluster.url, chainId: 'r1', connectTimeoutMs: 5000 }),
      await openPostgresStore({ url: cluster.url, chainId: 'r2', connectTimeoutMs: 5000 }),
    ];
    await scenario(stores, 3);
    // The other replica's rollup reads the same tables.
    await expectExact(stores[1].rollup(), stores, rng(4), 'read by the other replica');
    await Promise.all(stores.map((s) => s.close()));
  }, 180_000);
});
