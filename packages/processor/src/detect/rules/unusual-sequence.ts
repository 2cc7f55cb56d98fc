/**
 * Tool sequences within a session (or, for the explicit list, within one trace across
 * services): a dangerous pair from an explicit list (a secret-reading tool followed by
 * a send/fetch tool within `within`), and, when
 * `new_transitions` is on, a `prev → tool` transition never seen on the service once
 * its baseline is warm.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator, type SessionStep } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zDuration, zGlobs, zWarmup } from '../schema-helpers';

const sequence = z.strictObject({
  from: zGlobs.min(1),
  to: zGlobs.min(1),
  within: zDuration.optional(),
});

export const unusualSequence = defineEvaluator({
  type: 'unusual_sequence',
  params: z.strictObject({
    sequences: z.array(sequence).default([]),
    /** Also match `sequences` across services within one trace (one agent task, several MCP servers). */
    across_trace: z.boolean().default(true),
    new_transitions: z.boolean().default(false),
    warmup: zWarmup.default({ minObservations: 500, minAgeMs: 86_400_000 }),
  }),
  defaults: { group_by: ['service', 'session_id'], window: '10m', threshold: 1 },
  create(rule, p) {
    const pairs = p.sequences.map((s) => ({
      from: compileGlobs(s.from),
      to: compileGlobs(s.to),
      within: s.within ?? rule.window,
    }));
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        if (rec.tool === null) return null;
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        for (const pair of pairs) {
          if (!pair.to(rec.tool)) continue;
          const match = (s: SessionStep) => ctx.timeMs - s.timeMs <= pair.within && pair.from(s.tool);
          let earlier = ctx.previousSteps.find(match);
          let scope = 'session';
          if (!earlier && p.across_trace) {
            earlier = ctx.previousTraceSteps.find(match);
            scope = 'trace';
          }
          if (earlier) {
            return {
              group,
              timeMs: ctx.timeMs,
              refs: [earlier.ref, ctx.ref],
              summary: `${earlier.tool} then ${rec.tool} in one ${scope} within ${Math.round((ctx.timeMs - earlier.timeMs) / 1000)} s`,
            };
          }
        }
        if (rec.session_id === null) return null;
        const prev = ctx.previousSteps[0];
        if (p.new_transitions && prev && ctx.service.isWarm(ctx.timeMs, p.warmup)) {
          if (!ctx.service.transitions?.has(`${prev.tool}\u001f${rec.tool}`)) {
            return {
              group,
              timeMs: ctx.timeMs,
              refs: [prev.ref, ctx.ref],
              summary: `never-seen tool sequence ${prev.tool} → ${rec.tool}`,
            };
          }
        }
        return null;
      },
    };
  },
});
