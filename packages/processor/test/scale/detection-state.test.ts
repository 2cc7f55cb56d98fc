/**
 * Detection state with a cursor (src/replica/detection-state.ts): after a crash between
 * sealing and detecting, catch-up folds every sealed record into the baselines exactly
 * once and raises its alerts once, ending in the same state as uninterrupted processing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
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

/** The half a sealed record was made from, as the sealer hands a lone half over (no chain fields). */
function draftOf(record: AuditRecord): AuditDraft {
  const { chain_id: _c, seq: _s, prev_hash: _p, hash: _h, ...draft } = record;
  return draft as unknown as AuditDraft;
}

describe('detection state cursor', () => {
  it('a call detected as a lone half, then a crash: after restart its half comes again and then its record; counted once, alerted once', async () => {
    const reference = stateDb('reference.db');
    const ref = trackDetection({ detector: reference.detector, db: reference.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    const refAlerts = [...ref.process(sealed), ...ref.flush()];
    const attack = sealed[17]!;

    const crashed = stateDb('replica.db');
    const before = trackDetection({ detector: crashed.detector, db: crashed.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    before.process(sealed.slice(0, 17));
    const early = before.loneHalves([draftOf(attack)]);
    expect(early.map((a) => a.rule_id)).toContain('argument-injection');
    // Handed over twice (a recovered inbox entry): folded once.
    expect(before.loneHalves([draftOf(attack)])).toEqual([]);
    before.close();
    crashed.db.close();

    // Restart: the inbox still holds the half (not sealed before the crash), so it is handed over again, then sealed.
    const restarted = stateDb('replica.db');
    const after = trackDetection({ detector: restarted.detector, db: restarted.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    expect(after.loneHalves([draftOf(attack)])).toEqual([]);
    const caught = await after.catchUp();
    expect(caught.records).toBe(13);
    const all = [...early, ...caught.alerts];
    expect(all.map((a) => [a.rule_id, a.dedup_key]).sort()).toEqual(refAlerts.map((a) => [a.rule_id, a.dedup_key]).sort());
    expect(view(restarted)).toEqual(view(reference));
    // The stored alert names the sealed record, as the reference's does.
    const stored = restarted.detector.listAlerts({ rule_id: 'argument-injection' });
    expect(stored.map((a) => a.evidence)).toEqual(reference.detector.listAlerts({ rule_id: 'argument-injection' }).map((a) => a.evidence));

    // Control: without the stored call key the sealed record is a call of its own and counts twice.
    const control = stateDb('control.db');
    const c1 = trackDetection({ detector: control.detector, db: control.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    c1.process(sealed.slice(0, 17));
    c1.loneHalves([draftOf(attack)]);
    c1.flush();
    control.db.exec('DELETE FROM mcptrail_detect_lone_calls');
    control.db.close();
    const again = stateDb('control.db');
    const c2 = trackDetection({ detector: again.detector, db: again.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    await c2.catchUp();
    expect(view(again)).not.toEqual(view(reference));
    for (const d of [restarted, reference, again]) d.db.close();
  });

  it('catch-up after a crash ends in the state of uninterrupted processing, alerts once', async () => {
    const reference = stateDb('reference.db');
    const ref = trackDetection({ detector: reference.detector, db: reference.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    const refAlerts = ref.process(sealed);
    expect(refAlerts.map((a) => a.rule_id)).toContain('argument-injection');
    ref.flush();

    // Before the crash: the first 10 sealed records were detected and committed, the next 5 only folded in memory.
    const crashed = stateDb('replica.db');
    const before = trackDetection({ detector: crashed.detector, db: crashed.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    expect(before.process(sealed.slice(0, 10))).toEqual([]);
    expect(before.flush()).toEqual([]);
    expect(before.process(sealed.slice(10, 15))).toEqual([]);
    before.close();
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

  it('a deferred commit that fails is folded again from the last commit: the state ends as if it never failed', async () => {
    const reference = stateDb('reference.db');
    const ref = trackDetection({ detector: reference.detector, db: reference.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false });
    ref.process(sealed);
    ref.flush();
    const t = stateDb('failing.db');
    const tracked = trackDetection({ detector: t.detector, db: t.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false, commitMs: 60_000, commitRecords: 1000 });
    expect(tracked.process(sealed.slice(0, 10))).toEqual([]);
    tracked.flush();
    expect(tracked.process(sealed.slice(10, 15))).toEqual([]);
    t.db.exec(`CREATE TRIGGER full BEFORE UPDATE ON detect_baselines BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => tracked.flush()).toThrow(/disk full/);
    expect(detectionCursor(t.db).get('main')).toBe(10);
    t.db.exec('DROP TRIGGER full');
    const alerts = [...tracked.process(sealed.slice(10)), ...tracked.flush()];
    expect(alerts.map((a) => a.rule_id)).toContain('argument-injection');
    expect(detectionCursor(t.db).get('main')).toBe(30);
    expect(view(t)).toEqual(view(reference));
    tracked.close();
    t.db.close();
    reference.db.close();
  });

  it('state is committed in batches: a fold without an alert waits for the batch, one with an alert commits before it is returned', async () => {
    const t = stateDb('deferred.db');
    const tracked = trackDetection({ detector: t.detector, db: t.db, store, chainId: 'main', stateIsCurrentWithoutCursor: false, commitMs: 60_000, commitRecords: 1000 });
    const stored = () => t.db.prepare('SELECT count(*) FROM detect_baselines').pluck().get() as number;
    expect(tracked.process(sealed.slice(0, 10))).toEqual([]);
    // Nothing written yet: neither the baselines nor the cursor.
    expect(stored()).toBe(0);
    expect(detectionCursor(t.db).get('main')).toBeNull();
    // Record 18 carries the injection: its alert is returned only once it is stored, with the cursor.
    const alerts = tracked.process(sealed.slice(10, 20));
    expect(alerts.map((a) => a.rule_id)).toContain('argument-injection');
    expect(detectionCursor(t.db).get('main')).toBe(20);
    expect(t.db.prepare('SELECT count(*) FROM detect_alerts').pluck().get()).toBe(alerts.length);
    expect(stored()).toBeGreaterThan(0);
    // A query commits what is staged first (it reads the table).
    tracked.process(sealed.slice(20, 30));
    expect(detectionCursor(t.db).get('main')).toBe(20);
    t.detector.baselines({ limit: 1 });
    expect(detectionCursor(t.db).get('main')).toBe(30);
    tracked.close();
    t.db.close();
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
