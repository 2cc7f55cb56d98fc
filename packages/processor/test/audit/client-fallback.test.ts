/**
 * Client-side audit when the server is not instrumented: a CLIENT span becomes the record (side `client`)
 * only when no server-side record of the same call arrives; when both do, in either order, one record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline, type AuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { SPAN_KIND } from '../../src/otlp/types';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { hex, memoryLogger, toolSpan, traces } from './fixtures';
import { testRedactor } from './redactor';

let dir: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;
let now: number;

function open(extra: Partial<Parameters<typeof createAuditPipeline>[0]> = {}) {
  const dbPath = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
  pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer,
    logger: memoryLogger(),
    clock: () => now,
    pairingWindowMs: 1000,
    clientFallbackWindowMs: 30_000,
    ...extra,
  });
  return { dbPath, signer };
}

/** One call seen from both ends: the client span and the server span that is its child. */
function call(tool = 'get_weather') {
  const traceId = hex(16);
  const clientSpanId = hex(8);
  const client = toolSpan({ traceId, spanId: clientSpanId, tool, kind: SPAN_KIND.CLIENT, service: 'agent', actor: '' });
  const server = { ...toolSpan({ traceId, tool, service: 'weather-server' }), parentSpanId: clientSpanId };
  return { client, server };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-client-fallback-'));
  now = Date.parse('2026-11-21T10:00:00Z');
});
afterEach(async () => {
  await pipeline?.close();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('client-side fallback records', () => {
  it('a client call whose server is not instrumented becomes one record, side client, after the window', async () => {
    open();
    const { client } = call();
    await pipeline.traces(traces(client));
    now += 29_000;
    await settle();
    expect(await store.count()).toBe(0); // acknowledged, still waiting for a server record that may come
    expect(pipeline.stats().staged).toBe(1);
    now += 1_001;
    await pipeline.flush();
    const records = await store.query({ limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ side: 'client', tool: 'get_weather', service: 'agent', span_id: client.spanId });
  });

  it.each(['server first', 'client first'])('both ends instrumented: one record, the server one (%s)', async (order) => {
    open();
    const calls = [call('a'), call('b'), call('c')];
    for (const c of calls) {
      if (order === 'server first') {
        await pipeline.traces(traces(c.server));
        await pipeline.traces(traces(c.client));
      } else {
        await pipeline.traces(traces(c.client));
        await pipeline.traces(traces(c.server));
      }
    }
    now += 60_000;
    await pipeline.flush();
    await settle();
    const records = await store.query({ limit: 10 });
    expect(records.map((r) => [r.tool, r.side])).toEqual([
      ['a', 'server'],
      ['b', 'server'],
      ['c', 'server'],
    ]);
    expect(pipeline.stats().superseded).toBe(3);
    expect(pipeline.stats().staged).toBe(0);
  });

  it('control: a server span that is not the child of the client span does not suppress it', async () => {
    open();
    const a = call('a');
    const stranger = { ...toolSpan({ traceId: a.client.traceId, tool: 'a' }), parentSpanId: hex(8) };
    await pipeline.traces(traces(a.client));
    await pipeline.traces(traces(stranger));
    now += 60_000;
    await pipeline.flush();
    const records = await store.query({ limit: 10 });
    expect(records.map((r) => r.side).sort()).toEqual(['client', 'server']);
  });

  it('with clientFallback off, client spans are ignored as before', async () => {
    open({ clientFallback: false });
    await pipeline.traces(traces(call().client));
    now += 60_000;
    await pipeline.flush();
    expect(await store.count()).toBe(0);
  });

  it('superseded client halves are consumed from the inbox: a restart seals nothing twice', async () => {
    const { dbPath } = open();
    const c = call();
    await pipeline.traces(traces(c.client));
    await pipeline.traces(traces(c.server));
    await settle();
    await pipeline.close();
    await store.close();
    store = openSqliteStore({ path: dbPath });
    const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
    pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), clock: () => now });
    now += 60_000;
    await pipeline.flush();
    const records = await store.query({ limit: 10 });
    expect(records.map((r) => r.side)).toEqual(['server']);
  });
});

describe('client-side fallback on the sealer thread (the service default)', () => {
  it('both ends: one record per call, the server one; the uninstrumented call: its client record', async () => {
    const dbPath = path.join(dir, 'trail.db');
    store = openSqliteStore({ path: dbPath });
    const keyPath = defaultSigningKeyPath(dbPath);
    pipeline = createAuditPipeline({
      store,
      redactor: testRedactor(),
      signer: loadOrCreateSigningKey(keyPath),
      logger: memoryLogger(),
      clientFallbackWindowMs: 300,
      sealerThread: { trail: { kind: 'sqlite', path: dbPath, chainId: 'main' }, signingKeyPath: keyPath },
    });
    const both = call('both');
    const alone = call('alone');
    await pipeline.traces(traces(both.client, alone.client));
    await pipeline.traces(traces(both.server));
    await new Promise((r) => setTimeout(r, 800));
    await pipeline.flush();
    const records = await store.query({ limit: 10 });
    expect(records.map((r) => [r.tool, r.side]).sort()).toEqual([
      ['alone', 'client'],
      ['both', 'server'],
    ]);
    expect(pipeline.stats().superseded).toBe(1);
  });
});
