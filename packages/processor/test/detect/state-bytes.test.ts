/**
 * Detection state is bounded by bytes as well as by count, and repeated identity strings are
 * held once (issue 16, Deliver 3). Measured on the V8 heap after a full GC (no wall clock):
 * an attacker floods unique, huge actor and tool names (1,000 characters each, the
 * normalizer's field cap is 1,024) and the heap the detector keeps stays under its byte
 * budgets; the control runs the same flood with budgets too large to bite.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { harness, record, T0 } from './helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Unique huge names, made fresh per record (as JSON decoding makes them). */
const huge = (tag: string, i: number) => `${tag}-${i}-${'x'.repeat(1_000)}`;

function flood(settings: string, records: number): { held: number; stats: ReturnType<ReturnType<typeof harness>['detector']['stats']> } {
  const h = harness(`extends: default\nsettings:\n${settings}\n`);
  const before = heapUsed();
  for (let i = 0; i < records; i += 250) {
    const batch = Array.from({ length: 250 }, (_, k) =>
      record({ actor_id: huge('actor', i + k), tool: huge('tool', i + k), session_id: `s-${i + k}`, timeMs: T0 + (i + k) * 10 }),
    );
    h.detector.process(batch);
  }
  const held = heapUsed() - before;
  const stats = h.detector.stats();
  h.db.close();
  return { held, stats };
}

describe('detection state under a flood of huge keys', () => {
  it('stays within its byte budgets (baselines, rule windows, sessions); control: without budgets the same flood holds several times more', () => {
    const capped = flood('  max_baseline_bytes: 4194304\n  max_rule_group_bytes: 1048576\n  max_session_bytes: 1048576', 2_000);
    const control = flood('  max_baseline_bytes: 2147483647\n  max_rule_group_bytes: 2147483647\n  max_session_bytes: 2147483647', 2_000);
    if (process.env.SHOW_HEAP) console.log({ capped, control });
    expect(capped.stats.baseline_bytes).toBeLessThanOrEqual(4 * MiB + 64 * 1024);
    expect(capped.stats.baseline_evictions).toBeGreaterThan(0);
    // Baselines 4 + three windowed rules 1 each + sessions 1 (estimates), alerts and slack.
    expect(capped.held).toBeLessThan(20 * MiB);
    expect(control.stats.baseline_evictions).toBe(0);
    expect(control.held).toBeGreaterThan(3 * capped.held);
    expect(control.held).toBeGreaterThan(24 * MiB);
  });
});

describe('interned identity strings', () => {
  /**
   * 10,000 calls of one actor with distinct tools, no rules: an actor+tool baseline each, all
   * naming the same actor, whose name every record brings as its own copy (decoded from JSON).
   */
  function oneActor(actorChars: number): number {
    const h = harness('extends: none\nsettings:\n  max_baseline_bytes: 536870912\n');
    const name = `agent-${'a'.repeat(actorChars - 6)}`;
    const before = heapUsed();
    for (let i = 0; i < 10_000; i += 2_000) {
      h.detector.process(
        Array.from({ length: 2_000 }, (_, k) =>
          record({ actor_id: JSON.parse(JSON.stringify(name)) as string, tool: `tool-${i + k}`, session_id: null, trace_id: null, timeMs: T0 + (i + k) * 10 }),
        ),
      );
    }
    const held = heapUsed() - before;
    h.db.close();
    return held;
  }

  it('a repeated actor name is held once, not once per baseline (control: a name just too long to intern is held per entry)', () => {
    const interned = oneActor(256);
    const notInterned = oneActor(257);
    if (process.env.SHOW_HEAP) console.log({ interned, notInterned });
    // Held per entry, 10,000 copies of a 257-character name are ≈ 2.7 MB; held once, nothing per
    // entry. Without interning both runs would hold copies and differ by a few kB.
    expect(notInterned - interned).toBeGreaterThan(1.5 * MiB);
  });
});
