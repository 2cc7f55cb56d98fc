/**
 * Telemetry gone silent: a service that had at least `params.min_observations` calls
 * has sent nothing for longer than `window` (the processor's clock, checked on tick),
 * at an hour of the week when it usually makes at least `params.min_expected` calls in
 * such a window (the quieter of this hour and the one before, as schedules begin and end
 * inside an hour): nights, weekends and quiet hours are not outages. Alerts once per
 * silence; traffic re-arms it. After a restart every known service gets a full window
 * of grace.
 */
import { z } from 'zod';
import { formatDuration } from '../duration';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import type { Firing } from '../alert-book';

export const serviceSilent = defineEvaluator({
  type: 'service_silent',
  params: z.strictObject({
    min_observations: z.number().int().min(1).default(10),
    /** Calls the service usually makes in one window at this hour of the week; 0 = any hour. */
    min_expected: z.number().min(0).default(20),
  }),
  defaults: { group_by: ['service'], window: '15m', threshold: 1 },
  checkGroupBy: (g) => (g.length === 1 && g[0] === 'service' ? null : `service_silent groups by [service] only; got [${g.join(', ')}]`),
  create(rule, p) {
    /** service → the lastWallMs it was reported silent at. */
    const reported = new Map<string, number>();
    return {
      onTick(now, ctx) {
        const out: Firing[] = [];
        for (const s of ctx.services) {
          if (s.entry.observations < p.min_observations) continue;
          if (now - s.lastWallMs <= rule.window) continue;
          if (reported.get(s.service) === s.lastWallMs) continue;
          // The quieter of this hour and the one before: schedules start and end inside an hour.
          const rate = Math.min(s.entry.expectedPerHour(ctx.localTime(now)), s.entry.expectedPerHour(ctx.localTime(now - 3_600_000)));
          const expected = (rate * rule.window) / 3_600_000;
          if (expected < p.min_expected) continue;
          reported.set(s.service, s.lastWallMs);
          const group = groupOf({ service: s.service }, rule.group_by) as Record<string, string>;
          const ref = s.entry.lastRef;
          out.push({
            group,
            timeMs: now,
            refs: ref ? [ref] : [],
            // Each silence is its own finding: an outage later the same day is not a repeat of the morning's.
            finding: `silent since ${new Date(s.lastWallMs).toISOString()}`,
            summary: `no telemetry from service ${s.service} for ${formatDuration(Math.floor((now - s.lastWallMs) / 1000) * 1000)} (last record ${new Date(s.entry.lastMs).toISOString()}; about ${Math.round(expected)} calls usual in that time)`,
          });
        }
        return out;
      },
      reset: () => reported.clear(),
    };
  },
});
