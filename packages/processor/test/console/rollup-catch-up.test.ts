/**
 * The console rollup's catch-up (src/console/rollup-catch-up.ts) sizes each step from the last
 * one's hold of the trail's write lock, so that catching up a large trail never holds the lock
 * (which every acknowledgement waits for) for long: on a real SQLite trail sealed by the audit
 * pipeline, each record in a minute and an actor of its own (the costly case), the first step is
 * the smallest and every next one follows from the previous hold; the counts end up exact.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { loadOrCreateSigningKey } from '../../src/chain/signing';
import { nextStepRecords, startRollupCatchUp } from '../../src/console/rollup-catch-up';
import { ROLLUP_MIN_STEP_RECORDS, ROLLUP_STEP_GROWTH, ROLLUP_STEP_HOLD_MS, ROLLUP_STEP_RECORDS, type RollupStep, type TrailRollup } from '../../src/store/rollup-types';
import { openSqliteStore } from '../../src/store/sqlite';
import { memoryLogger, START_NS, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-catch-up-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rollup catch-up step size', () => {
  it('fits the next step to ROLLUP_STEP_HOLD_MS from the last one, within bounds', () => {
    const step = (rolled: number, heldMs: number): RollupStep => ({ rolled, behind: 1, heldMs });
    // 2,000 records held the lock 80 ms: a quarter of the target's worth each 10 ms.
    expect(nextStepRecords(step(2000, 80), 2000)).toBe(Math.floor((2000 * ROLLUP_STEP_HOLD_MS) / 80));
    // Cheap records: growing by ROLLUP_STEP_GROWTH a step, up to the maximum, never past it.
    expect(nextStepRecords(step(50, 0.1), 50)).toBe(Math.floor(50 * ROLLUP_STEP_GROWTH));
    expect(nextStepRecords(step(1900, 0.1), 1900)).toBe(ROLLUP_STEP_RECORDS);
    // A fast step after slow ones (records sharing buckets) does not size the next for its rate alone.
    expect(nextStepRecords(step(400, 4), 400)).toBe(500);
    // Very costly: never below the minimum (a step still makes progress).
    expect(nextStepRecords(step(50, 10_000), 50)).toBe(ROLLUP_MIN_STEP_RECORDS);
    // Nothing rolled (caught up) or no lock held (PostgreSQL): the size stays.
    expect(nextStepRecords(step(0, 30), 700)).toBe(700);
    expect(nextStepRecords(step(700, 0), 700)).toBe(700);
  });

  it('catches a trail up in steps sized from the previous hold, starting with the smallest; counts exact', async () => {
    const file = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: file, chainId: 'main' });
    const signer = loadOrCreateSigningKey(path.join(dir, 'key.pem'));
    const pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), pairingWindowMs: 1 });
    const n = 3000;
    const t0 = START_NS / 1_000_000n;
    // Each call in a minute and with an actor of its own: every record is a new row of every rollup table.
    const spans = Array.from({ length: n }, (_, i) => toolSpan({ tool: 'lookup', actor: `actor-${i}`, startNs: (t0 + BigInt(i) * 60_000n) * 1_000_000n }));
    await pipeline.traces(traces(...spans));
    await pipeline.close();

    // The real rollup (a worker thread on its own connection, through the write gate), its steps recorded.
    const real = store.rollup();
    const steps: Array<{ asked: number } & RollupStep> = [];
    const recorded: TrailRollup = {
      count: (q) => real.count(q),
      close: () => real.close(),
      step: async (max) => {
        const r = await real.step(max);
        steps.push({ asked: max ?? ROLLUP_STEP_RECORDS, ...r });
        return r;
      },
    };
    const catchUp = startRollupCatchUp(recorded, memoryLogger(), { idleMs: 60_000 });
    for (let i = 0; i < 600 && steps.at(-1)?.behind !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    catchUp.close();
    expect(steps.at(-1)?.behind).toBe(0);
    expect(steps[0]!.asked).toBe(ROLLUP_MIN_STEP_RECORDS);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.asked).toBe(nextStepRecords(steps[i - 1]!, steps[i - 1]!.asked));
    expect(steps.every((s) => s.rolled <= s.asked && s.heldMs > 0)).toBe(true);
    expect(steps.reduce((a, s) => a + s.rolled, 0)).toBe(n);
    const since = new Date(Number(t0) - 60_000).toISOString();
    const until = new Date(Number(t0) + (n + 1) * 60_000).toISOString();
    const answer = await real.count({ where: { since, until }, by: ['tool'] });
    expect(answer.pending).toBe(0);
    expect(answer.rows.map((r) => [r.key, r.n])).toEqual([[['lookup'], n]]);
    await store.close();
  }, 60_000);
});
