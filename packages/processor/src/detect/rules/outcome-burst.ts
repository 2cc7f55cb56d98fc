/**
 * Error or denied burst: calls with one of `params.outcomes` per group within `window`
 * reach `threshold` (and, optionally, `params.min_ratio` of the group's calls).
 * Probing, brute-forcing authorization, an agent stuck retrying a forbidden action.
 */
import { AUDIT_OUTCOMES } from '@mcptrail/conventions';
import { z } from 'zod';
import { formatDuration } from '../duration';
import { defineEvaluator } from '../rule-kit';
import { groupKeyOf, groupOf } from '../record-fields';
import { WindowCounter } from '../window-counter';

const params = z.strictObject({
  outcomes: z.array(z.enum(AUDIT_OUTCOMES)).min(1).default(['error', 'tool_error', 'denied']),
  /** 0..1: share of the group's calls in the window that must have those outcomes. */
  min_ratio: z.number().min(0).max(1).default(0),
});

export const outcomeBurst = defineEvaluator({
  type: 'outcome_burst',
  params,
  defaults: { group_by: ['service', 'actor_id'], window: '5m', threshold: 10 },
  create(rule, p, env) {
    const windows = new WindowCounter(rule.window, env.settings.max_rule_groups, env.onGroupEvicted, env.settings.max_rule_group_bytes);
    const outcomes = new Set<string>(p.outcomes);
    return {
      onRecord(ctx) {
        const key = groupKeyOf(ctx.rec, rule.group_by);
        if (key === null) return null;
        const hit = outcomes.has(ctx.rec.outcome);
        const counts = windows.add(key, ctx.timeMs, hit, ctx.ref);
        if (!hit || counts.hits < rule.threshold) return null;
        const ratio = counts.hits / counts.total;
        if (ratio < p.min_ratio) return null;
        return {
          group: groupOf(ctx.rec, rule.group_by) as Record<string, string>,
          timeMs: ctx.timeMs,
          refs: windows.evidence(key, ctx.timeMs),
          summary: `${counts.hits} of ${counts.total} calls within ${formatDuration(rule.window)} ended ${p.outcomes.join('/')} (${Math.round(ratio * 100)}%)`,
        };
      },
      reset: () => windows.clear(),
    };
  },
});
