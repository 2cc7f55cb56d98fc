/**
 * The PostgreSQL store behind the same audit pipeline as SQLite, on a private cluster
 * (see pg-cluster.ts): pairing, dedup across chains, verify/query/retention over every
 * chain, schema versioning, restart, and back-pressure while PostgreSQL is down.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { purgeBefore } from '../../src/chain/retention';
import { type CheckpointSigner, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { OverloadError } from '../../src/http/receiver';
import { openPostgresStore, safeDbLabel } from '../../src/store/postgres';
import { FILTER_COLUMNS, POSTGRES_SCHEMA_VERSION } from '../../src/store/postgres-schema';
import { INBOX_OPEN } from '../../src/store/types';
import { auditLog, hex, logs, memoryLogger, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { type PgCluster, pgAvailability, startPgCluster } from './pg-cluster';

const { bin, skip } = pgAvailability();

let cluster: PgCluster;
let dir: string;
let signer: CheckpointSigner;
let dbCounter = 0;
const opened: Array<{ close(): Promise<void> }> = [];

async function freshDb(): Promise<string> {
  const name = `t${++dbCounter}`;
  const admin = new Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

async function open(url: string, chainId: string, extra: Partial<Parameters<typeof createAuditPipeline>[0]> = {}) {
  const store = await openPostgresStore({ url, chainId, connectTimeoutMs: 2000 });
  const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), pairingWindowMs: 1000, ...extra });
  opened.push(pipeline, store);
  return { store, pipeline };
}

describe.skipIf(skip)('PostgreSQL store', () => {
  beforeAll(async () => {
    cluster = await startPgCluster(bin!);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-pgstore-'));
    signer = loadOrCreateSigningKey(path.join(dir, 'key.pem'));
  }, 120_000);
  afterAll(() => {
    cluster?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close().catch(() => undefined);
  });

  it('records the schema version and refuses a newer one', async () => {
    const url = await freshDb();
    const { store } = await open(url, 'r1');
    await store.close();
    const c = new Client({ connectionString: url });
    await c.connect();
    expect((await c.query(`SELECT version FROM mcptrail_schema WHERE component = 'trail'`)).rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
    await c.query(`UPDATE mcptrail_schema SET version = 99`);
    await c.end();
    await expect(openPostgresStore({ url, chainId: 'r1' })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_SCHEMA' });
  });

  it('names the bad option and hides the password in errors', async () => {
    await expect(openPostgresStore({ url: 'postgres://u:hunter2@127.0.0.1:1/x', chainId: 'bad id!' })).rejects.toMatchObject({
      code: 'MCPTRAIL_ERR_STORE_OPEN',
      message: expect.stringContaining("'chainId'"),
    });
    const err = await openPostgresStore({ url: 'postgres://u:hunter2@127.0.0.1:1/x', connectTimeoutMs: 500 }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'MCPTRAIL_ERR_STORE_OPEN' });
    expect((err as Error).message).not.toContain('hunter2');
    expect(safeDbLabel('postgres://u:hunter2@h/db')).toBe('postgres://u:***@h/db');
  });

  it('pairs span and log into one record, drops retries, and verify/query see it', async () => {
    const url = await freshDb();
    const { store, pipeline } = await open(url, 'r1');
    const traceId = hex(16);
    const spanId = hex(8);
    await pipeline.logs(logs(auditLog({ traceId, spanId, args: { city: 'Oslo' } })));
    await pipeline.traces(traces(toolSpan({ traceId, spanId })));
    await pipeline.traces(traces(toolSpan({ traceId, spanId }))); // exporter retry
    await pipeline.flush();
    const [rec, ...rest] = await store.query({});
    expect(rest).toEqual([]);
    expect(rec).toMatchObject({ chain_id: 'r1', seq: 1, source: 'span+log', args: { city: 'Oslo' }, trace_id: traceId });
    expect(await store.query({ trace_id: traceId, tool: 'get_weather', outcome: 'ok' })).toHaveLength(1);
    expect(await store.query({ session_id: 'nope' })).toEqual([]);
    await expect(store.query({ outcome: 'meh' as never })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
    await pipeline.close();
    const report = await verifyTrail(store, signer.publicKey);
    expect(report).toMatchObject({ ok: true, records: 1 });
  });

  it('two replicas write their own chains concurrently; a call sent to both seals once', async () => {
    const url = await freshDb();
    const a = await open(url, 'replica-a', { pairingWindowMs: 0 });
    const b = await open(url, 'replica-b', { pairingWindowMs: 0 });
    const shared = Array.from({ length: 50 }, () => toolSpan({ service: 'shared' }));
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      sends.push(a.pipeline.traces(traces(...Array.from({ length: 25 }, () => toolSpan({ service: 'svc-a' })))));
      sends.push(b.pipeline.traces(traces(...Array.from({ length: 25 }, () => toolSpan({ service: 'svc-b' })))));
    }
    // The same calls to both replicas (a retry that went to another replica).
    sends.push(a.pipeline.traces(traces(...shared)), b.pipeline.traces(traces(...shared)));
    await Promise.all(sends);
    await Promise.all([a.pipeline.close(), b.pipeline.close()]);
    expect(await a.store.chains()).toEqual(['replica-a', 'replica-b']);
    expect(await a.store.count()).toBe(20 * 25 * 2 + 50);
    expect(await a.store.count({ chain_id: 'replica-a' })).toBeGreaterThanOrEqual(500);
    expect(a.pipeline.stats().duplicates + b.pipeline.stats().duplicates).toBe(50);
    // The filter columns are copies of the hashed body's fields, row for row.
    const pg = new Client({ connectionString: url });
    await pg.connect();
    const drift = await pg.query(
      `SELECT count(*)::int AS n FROM audit_records WHERE ${FILTER_COLUMNS.map((c) => `${c} IS DISTINCT FROM (body::jsonb ->> '${c}')`).join(' OR ')}`,
    );
    const nulls = await pg.query(`SELECT count(*)::int AS n FROM audit_records WHERE time IS NULL OR service IS NULL OR span_id IS NULL`);
    await pg.end();
    expect(drift.rows[0].n).toBe(0);
    expect(nulls.rows[0].n).toBe(0);
    expect(await a.store.query({ service: 'shared', limit: 1000 })).toHaveLength(50);
    const report = await verifyTrail(b.store, signer.publicKey);
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => c.chain_id)).toEqual(['replica-a', 'replica-b']);
    // Newest first across chains, as the API lists.
    const desc = await a.store.query({ limit: 2 }, 'desc');
    expect(desc[0]).toMatchObject({ chain_id: 'replica-b' });
    expect(desc[0]!.seq).toBeGreaterThan(desc[1]!.seq);
  });

  it('replicas with their own signing keys verify with all their public keys, not with one', async () => {
    const url = await freshDb();
    const otherSigner = loadOrCreateSigningKey(path.join(dir, 'other-key.pem'));
    const a = await open(url, 'ka', { pairingWindowMs: 0 });
    const b = await open(url, 'kb', { pairingWindowMs: 0, signer: otherSigner });
    await a.pipeline.traces(traces(toolSpan()));
    await b.pipeline.traces(traces(toolSpan()));
    await a.pipeline.close();
    await b.pipeline.close();
    const one = await verifyTrail(a.store, signer.publicKey);
    expect(one.ok).toBe(false);
    expect(one.chains.find((c) => c.chain_id === 'kb')?.problem?.kind).toBe('checkpoint_forged');
    expect((await verifyTrail(a.store, [signer.publicKey, otherSigner.publicKeyPem])).ok).toBe(true);
  });

  it('drafts staged before a crash are sealed by the restarted replica', async () => {
    const url = await freshDb();
    const first = await open(url, 'r1', { pairingWindowMs: 60_000 });
    await first.pipeline.traces(traces(toolSpan(), toolSpan()));
    expect(await first.store.count()).toBe(0);
    // No close(): like a SIGKILL, the pipeline never seals; only the store connection goes.
    await first.store.close();
    const second = await open(url, 'r1', { pairingWindowMs: 60_000 });
    expect((await second.store.readInbox()).length).toBe(1);
    await second.pipeline.flush();
    expect(await second.store.count({ chain_id: 'r1' })).toBe(2);
  });

  it('a group commit split over entries: open slices are neither sealed nor kept until the last one closes them', async () => {
    const url = await freshDb();
    // The store alone: a pipeline would re-read (and clear open entries of) the inbox at its start, racing these appends.
    const store = await openPostgresStore({ url, chainId: 'r1', connectTimeoutMs: 2000 });
    opened.push(store);
    const a = await store.appendInbox('[]', { open: true });
    const b = await store.appendInbox('[]', { open: true });
    // Another replica's open entry is its own business.
    const other = await openPostgresStore({ url, chainId: 'r2', connectTimeoutMs: 2000 });
    opened.push(other);
    const o = await other.appendInbox('[]', { open: true });
    // An interrupted group (never closed) is dropped at the next start's read; the closed one is kept whole.
    const stray = await store.appendInbox('[]', { open: true });
    const c = await store.appendInbox('[]', { closes: [a, b] });
    const raw = new Client({ connectionString: url });
    await raw.connect();
    // The marks live apart from the payloads: closing deleted a's and b's, the stray one's is left.
    expect((await raw.query(`SELECT id::int AS id FROM audit_inbox_open WHERE chain_id = 'r1' ORDER BY id`)).rows).toEqual([{ id: stray }]);
    // An entry a v3 store left marked the old way (in done) is dropped too.
    const legacy = Number((await raw.query(`INSERT INTO audit_inbox (chain_id, payload, done) VALUES ('r1', '[]', $1) RETURNING id`, [INBOX_OPEN])).rows[0].id);
    const ids = (await store.readInbox()).map((e) => [e.id, e.done]);
    expect(ids).toEqual([[a, null], [b, null], [c, null]]);
    expect((await raw.query(`SELECT count(*)::int AS n FROM audit_inbox WHERE id = ANY($1::bigint[])`, [[stray, legacy]])).rows).toEqual([{ n: 0 }]);
    expect((await raw.query(`SELECT chain_id FROM audit_inbox WHERE id = $1`, [o])).rows).toEqual([{ chain_id: 'r2' }]);
    await raw.end();
    // r2's own start drops it.
    expect((await other.readInbox()).map((e) => e.id)).toEqual([]);
    await store.discardInbox([a, b, c]);
    expect(await store.readInbox()).toEqual([]);
  });

  it('retention purges checkpointed segments of every chain and verify still holds', async () => {
    const url = await freshDb();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => now;
    const a = await open(url, 'ra', { pairingWindowMs: 0, clock, checkpointEvery: { records: 5, seconds: 3600 } });
    const b = await open(url, 'rb', { pairingWindowMs: 0, clock, checkpointEvery: { records: 5, seconds: 3600 } });
    await a.pipeline.traces(traces(...Array.from({ length: 10 }, () => toolSpan())));
    await b.pipeline.traces(traces(...Array.from({ length: 10 }, () => toolSpan())));
    await Promise.all([a.pipeline.flush(), b.pipeline.flush()]);
    now += 86_400_000;
    await a.pipeline.traces(traces(toolSpan()));
    await a.pipeline.close();
    await b.pipeline.close();
    const report = await purgeBefore(a.store, new Date(now - 1000));
    expect(report.purged).toBe(20);
    expect(await a.store.count()).toBe(1);
    expect((await verifyTrail(a.store, signer.publicKey)).ok).toBe(true);
  });

  it('PostgreSQL down: ingestion answers 503-style overload, nothing acknowledged is lost, and it recovers', async () => {
    const url = await freshDb();
    const { store, pipeline } = await open(url, 'r1', { pairingWindowMs: 0 });
    const before = toolSpan();
    await pipeline.traces(traces(before));
    await pipeline.flush();
    cluster.stop('immediate');
    try {
      const during = toolSpan();
      const err = await pipeline.traces(traces(during)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OverloadError);
      expect(err).toMatchObject({ status: 503 });
      expect((err as OverloadError).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      cluster.start();
    }
    const after = toolSpan();
    // The pool reconnects; the retried request now succeeds.
    await pipeline.traces(traces(after));
    await pipeline.flush();
    const spans = (await store.query({ limit: 100 })).map((r) => r.span_id);
    expect(spans).toEqual([before.spanId, after.spanId]);
  });
});
