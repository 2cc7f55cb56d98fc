/**
 * Repeated identical calls: the same actor calls the same tool with the same argument
 * hash `threshold` times within `window`. Autonomous loops (SAFE-T1106), replay.
 */
import { z } from 'zod';
import { formatDuration } from '../duration';
import { defineEvaluator } from '../rule-kit';
import { groupKeyOf, groupOf } from '../record-fields';
import { WindowCounter } from '../window-counter';

export const repeatedIdenticalCalls = defineEvaluator({
  type: 'repeated_identical_calls',
  params: z.strictObject({}),
  defaults: { group_by: ['service', 'actor_id', 'tool', 'args_hash'], window: '1m', threshold: 20 },
  checkGroupBy: (g) =>
    g.includes('args_hash') ? null : `repeated_identical_calls needs args_hash in group_by; got [${g.join(', ')}]`,
  create(rule, _p, env) {
    const windows = new WindowCounter(rule.window, env.settings.max_rule_groups, env.onGroupEvicted, env.settings.max_rule_group_bytes);
    return {
      onRecord(ctx) {
        if (ctx.rec.tool === null) return null;
        const key = groupKeyOf(ctx.rec, rule.group_by, ['args_hash']);
        if (key === null) return null;
        const counts = windows.add(key, ctx.timeMs, true, ctx.ref);
        if (counts.hits < rule.threshold) return null;
        return {
          group: groupOf(ctx.rec, rule.group_by) as Record<string, string>,
          timeMs: ctx.timeMs,
          refs: windows.evidence(key, ctx.timeMs),
          summary: `${counts.hits} identical calls of ${ctx.rec.tool} (same argument hash) within ${formatDuration(rule.window)}`,
        };
      },
      reset: () => windows.clear(),
    };
  },
});
