/**
 * Bounded memory between the sealer and a slower detection thread: the bytes handed to the
 * thread and not yet folded count as held work, so past DETECTION_BACKLOG_MAX_BYTES the
 * receiver answers 503 + Retry-After instead of queueing without bound; once the thread has
 * caught up, requests are taken again and every acknowledged call is folded exactly once.
 * The thread is the real detection worker (dist/) with its batches held back by a fixture
 * (test/fixtures/held-detection-worker.cjs) while a flag file exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline, type AuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { OverloadError } from '../../src/http/receiver';
import { createLogger } from '../../src/logger';
import { DETECTION_BACKLOG_MAX_BYTES, DetectionThread } from '../../src/replica/detection-thread';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { auditLog, logs, memoryLogger } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { until } from './helpers';

const HELD_WORKER = path.join(__dirname, '..', 'fixtures', 'held-detection-worker.cjs');

let dir: string;
let flag: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;
let thread: DetectionThread;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-detect-backlog-'));
  flag = path.join(dir, 'hold');
  process.env.MCPTRAIL_TEST_HOLD_DETECTION = flag;
});
afterEach(async () => {
  fs.rmSync(flag, { force: true });
  await pipeline?.close().catch(() => undefined);
  await thread?.close().catch(() => undefined);
  await store?.close();
  delete process.env.MCPTRAIL_TEST_HOLD_DETECTION;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<void> {
  const dbPath = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: dbPath });
  const keyPath = defaultSigningKeyPath(dbPath);
  const trail = { kind: 'sqlite' as const, path: dbPath, chainId: 'main' };
  pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer: loadOrCreateSigningKey(keyPath),
    logger: memoryLogger(),
    pairingWindowMs: 10,
    sealerThread: { trail, signingKeyPath: keyPath },
  });
  thread = new DetectionThread({ rulesFile: null, trail, statePath: null, logger: createLogger({ level: 'silent', redactor: null }), workerPath: HELD_WORKER });
  await thread.start(() => undefined);
  // As the service wires them (service.ts).
  pipeline.onEncoded({
    take: (kind, json, count) => thread.feed(kind, json, count),
    drained: async () => void (await thread.flushAsync()),
    saturated: () => thread.saturated(),
  });
}

/** 50 calls with an argument of about 8 KB each (≈ 0.5 MiB of sealed JSON a batch). */
const batch = (n: number) => logs(...Array.from({ length: 50 }, (_, i) => auditLog({ flags: 0, args: { note: `call ${n}.${i} `.padEnd(8_000, 'lorem ipsum ') } })));

/** Sends batches, each after the previous one was sealed (handed to detection), until one is refused or `max` were sent. */
async function offer(max: number): Promise<{ accepted: number; refused: unknown }> {
  let accepted = 0;
  for (let n = 0; n < max; n++) {
    try {
      await pipeline.logs(batch(n));
    } catch (err) {
      return { accepted, refused: err };
    }
    accepted += 50;
    await until(() => pipeline.stats().sealed >= accepted);
  }
  return { accepted, refused: null };
}

/** Batches the control offers: more than the held thread took before refusing (asserted in the first test). */
const CONTROL_BATCHES = 40;

describe('detection backlog', () => {
  it('past DETECTION_BACKLOG_MAX_BYTES not folded: 503 + Retry-After; after catching up, taken again, each call folded once', async () => {
    await open();
    fs.writeFileSync(flag, '');
    const first = await offer(200);
    const refused = first.refused;
    let accepted = first.accepted;
    expect(accepted / 50).toBeLessThan(CONTROL_BATCHES);
    expect(refused).toBeInstanceOf(OverloadError);
    expect(refused).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    // What a receiver asks before decoding the next request: the same refusal, before any work on it.
    expect(pipeline.refusal()).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(thread.backlogBytes()).toBeGreaterThan(DETECTION_BACKLOG_MAX_BYTES);
    // Bounded: refused within one batch past the bound (not a queue of everything offered).
    expect(thread.backlogBytes()).toBeLessThan(DETECTION_BACKLOG_MAX_BYTES + 2 * 2 ** 20);
    expect(accepted).toBeGreaterThan(0);
    // Nothing accepted was lost meanwhile.
    expect(await store.count()).toBe(accepted);

    fs.rmSync(flag);
    await until(() => !thread.saturated(), 3_000);
    expect(pipeline.refusal()).toBeNull();
    await pipeline.logs(batch(-1));
    accepted += 50;
    await pipeline.flush();
    expect(thread.backlogBytes()).toBe(0);
    expect(thread.stats().records_processed).toBe(accepted);
    expect(await store.count()).toBe(accepted);
  });

  it('control: with the thread keeping up, the same offered load and more is taken', async () => {
    await open();
    const { accepted, refused } = await offer(CONTROL_BATCHES);
    expect(refused).toBeNull();
    expect(pipeline.refusal()).toBeNull();
    await pipeline.flush();
    expect(thread.stats().records_processed).toBe(accepted);
    expect(accepted).toBe(CONTROL_BATCHES * 50);
  });
});
