/**
 * Detection state with a cursor (src/replica/detection-state.ts): after a crash between
 * sealing and detecting, catch-up folds every sealed record into the baselines exactly
 * once and raises its alerts once, ending in the same state as uninterrupted processing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { loadOrCreateSigningKey } from '../../src/chain/signing';
import { createDetector } from '../../src/detect/engine';
import { loadRules } from '../../src/detect/load-rules';
import { silentLogger } from '../../src/logger';
import { detectionCursor, trackDetection } from '../../src/replica/detection-state';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { memoryLogger, START_NS, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

let dir: string;
let store: SqliteAuditStore;
let sealed: AuditRecord[];
const rules = loadRules(null);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-detstate-'));
  store = openSqliteStore({ path: path.join(dir, 'trail.db') });
  const pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer: loadOrCreateSigningKey(path.join(dir, 'key.pem')),
    logger: memoryLogger(),
    pairingWindowMs: 0,
    // The receiver's clock at the fixtures' time: they are not clock anomalies.
    clock: () => Number(START_NS / 1_000_000n),
  });
  const spans = Array.from({ length: 30 }, (_, i) =>
    toolSpan({
      tool: ['search', 'read', 'write'][i % 3],
      session: `s-${Math.floor(i / 6)}`,
      startNs: START_NS + BigInt(i) * 2_000_000_000n,
      args: i === 17 ? { path: '../../../etc/passwd; rm -rf /' } : { q: i },
    }),
  );
  await pipeline.traces(traces(...spans));
  await pipeline.close();
  sealed = await store.query({ limit: 1000 });
  expect(sealed).toHaveLength(30);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function stateDb(name: string) {
  const db = new Database(path.join(dir, name));
  const detector = createDetector({ rules, db, logger: silentLogger });
  return { db, detector };
}

const view = (d: ReturnType<typeof stateDb>) => d.detector.baselines({ limit: 1000 });

describe('detection state cursor', () => {
  it('catch-up after a crash ends in the state of uninterrupted processing, alerts once', async () => {
    const reference = stateDb('reference.db');
    const refAlerts = trackDetection({ detector: reference.detector, db: reference.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false }).process(sealed);
    expect(refAlerts.map((a) => a.rule_id)).toContain('argument-injection');

    // Before the crash: only the first 10 sealed records were detected.
    const crashed = stateDb('replica.db');
    const before = trackDetection({ detector: crashed.detector, db: crashed.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    expect(before.process(sealed.slice(0, 10))).toEqual([]);
    crashed.db.close();

    // Restart: a new detector over the same state file catches up with records 11-30.
    const restarted = stateDb('replica.db');
    const after = trackDetection({ detector: restarted.detector, db: restarted.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    const caught = await after.catchUp();
    expect(caught.records).toBe(20);
    expect(caught.alerts.map((a) => [a.rule_id, a.dedup_key])).toEqual(refAlerts.map((a) => [a.rule_id, a.dedup_key]));
    expect(detectionCursor(restarted.db).get('main')).toBe(30);

    // Sealed records delivered again (a listener replaying a batch) are not folded twice.
    expect(after.process(sealed)).toEqual([]);
    expect(await after.catchUp()).toEqual({ records: 0, alerts: [] });
    expect(view(restarted)).toEqual(view(reference));
    restarted.db.close();
    reference.db.close();
  });

  it('a state that predates cursors is taken as current (SQLite), a new state file folds the whole chain (PostgreSQL)', async () => {
    const legacy = stateDb('legacy.db');
    const l = trackDetection({ detector: legacy.detector, db: legacy.db, store, chainId: 'main', stateIsCurrentWithoutCursor: true });
    expect(await l.catchUp()).toEqual({ records: 0, alerts: [] });
    expect(detectionCursor(legacy.db).get('main')).toBe(30);
    legacy.db.close();

    const fresh = stateDb('fresh.db');
    const f = trackDetection({ detector: fresh.detector, db: fresh.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    expect((await f.catchUp()).records).toBe(30);
    fresh.db.close();
  });
});
