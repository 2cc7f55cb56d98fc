/**
 * A record dated outside the receiver's bounded clock skew (`clock_anomaly`, set at
 * ingest): a broken clock, or a sender forging dates to slip out of windows and
 * profiles. Detection already places such records at their receive time; this rule
 * says that it happened, once per group and direction within the dedup window.
 */
import { z } from 'zod';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';

const DAY_MS = 86_400_000;

function distance(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 365 * DAY_MS) return `${(abs / (365.25 * DAY_MS)).toFixed(1)} years`;
  if (abs >= DAY_MS) return `${(abs / DAY_MS).toFixed(1)} days`;
  return `${Math.round(abs / 60_000)} min`;
}

export const clockAnomaly = defineEvaluator({
  type: 'clock_anomaly',
  params: z.strictObject({}),
  defaults: { group_by: ['service'], window: '1h', threshold: 1 },
  create(rule) {
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        const anomaly = rec.clock_anomaly;
        if (!anomaly || typeof rec.received_time !== 'string') return null;
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        const skew = Date.parse(rec.time) - Date.parse(rec.received_time);
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          finding: anomaly,
          summary: `record dated ${rec.time}, ${distance(skew)} ${anomaly === 'ahead' ? 'ahead of' : 'behind'} the receiver's clock (received ${rec.received_time}); detection used the receive time`,
        };
      },
    };
  },
});
