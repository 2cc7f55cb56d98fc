/**
 * Call-volume spike: calls per group within `window` against the group's EWMA call
 * rate (per-minute buckets scaled to the window, folded with a lag so the spike does
 * not raise its own expectation). Fires when the count reaches
 * `threshold` and sits `params.z` standard deviations above the expectation, once the
 * baseline is warm. DoS, runaway agent loops, bulk harvesting.
 */
import { z } from 'zod';
import { formatDuration } from '../duration';
import { defineEvaluator, type RecordContext } from '../rule-kit';
import { zWarmup } from '../schema-helpers';
import { groupKeyOf, groupOf } from '../record-fields';
import { WindowCounter } from '../window-counter';
import type { GroupableField } from '../types';
import { type BaselineEntry, RATE_BUCKET_MS, RATE_LAG_BUCKETS } from '../baseline-entry';

const params = z.strictObject({
  /** Standard deviations above the expected count. */
  z: z.number().positive().default(4),
  /** Floor of the standard deviation, so a perfectly regular baseline does not alert on +1. */
  min_stddev: z.number().positive().default(1),
  warmup: zWarmup.default({ minObservations: 100, minAgeMs: 3_600_000 }),
  /** Closed one-minute buckets the rate baseline needs before it may alert. */
  min_buckets: z.number().int().min(1).default(30),
});

type Pick = (ctx: RecordContext) => BaselineEntry | null;
const BASELINE_FOR: Record<string, Pick> = {
  service: (c) => c.service,
  'service,tool': (c) => c.serviceTool,
  actor_id: (c) => c.actor,
  'actor_id,service': (c) => c.actorService,
  'actor_id,service,tool': (c) => c.actorTool,
};
const signature = (g: readonly GroupableField[]) => [...g].sort().join(',');

export const volumeSpike = defineEvaluator({
  type: 'volume_spike',
  params,
  defaults: { group_by: ['service', 'tool'], window: '5m', threshold: 50 },
  checkGroupBy: (g) =>
    BASELINE_FOR[signature(g)]
      ? null
      : `volume_spike compares against a baseline, so group_by must be one of [service], [service, tool], [actor_id], [service, actor_id], [service, actor_id, tool]; got [${g.join(', ')}]`,
  checkWindow: (ms) =>
    ms <= RATE_LAG_BUCKETS * RATE_BUCKET_MS
      ? null
      : `volume_spike compares the window with the rate before it, so the window can be at most ${RATE_LAG_BUCKETS}m; got ${formatDuration(ms)}`,
  create(rule, p, env) {
    const pick = BASELINE_FOR[signature(rule.group_by)] as Pick;
    const windows = new WindowCounter(rule.window, env.settings.max_rule_groups, env.onGroupEvicted, env.settings.max_rule_group_bytes);
    return {
      onRecord(ctx) {
        const key = groupKeyOf(ctx.rec, rule.group_by, rule.group_by);
        if (key === null) return null;
        const counts = windows.add(key, ctx.timeMs, true, ctx.ref);
        if (counts.hits < rule.threshold) return null;
        const base = pick(ctx);
        if (!base || base.rateBuckets < p.min_buckets || !base.isWarm(ctx.timeMs, p.warmup)) return null;
        const expected = base.expectedOver(rule.window);
        const sd = Math.max(expected.stddev, p.min_stddev);
        const score = (counts.hits - expected.mean) / sd;
        if (score < p.z) return null;
        return {
          group: groupOf(ctx.rec, rule.group_by) as Record<string, string>,
          timeMs: ctx.timeMs,
          refs: windows.evidence(key, ctx.timeMs),
          summary: `${counts.hits} calls within ${formatDuration(rule.window)}, expected ${expected.mean.toFixed(1)} ± ${sd.toFixed(1)} (z = ${score.toFixed(1)})`,
        };
      },
      reset: () => windows.clear(),
    };
  },
});
