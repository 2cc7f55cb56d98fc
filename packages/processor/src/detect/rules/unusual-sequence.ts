/**
 * Tool sequences within a session (or, for the explicit list, within one trace across
 * services): a dangerous pair from an explicit list (a secret-reading tool followed by
 * a send/fetch tool within the pair's `maxspan`, however many calls come in between, as
 * Sigma/EQL correlation rules bound sequences by time, not steps), and, when
 * `new_transitions` is on, a `prev → tool` transition never seen on the service once
 * its baseline is warm. Per session and trace only the latest `from` step of each pair
 * is kept (see session-book), so state does not grow with the calls in between.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator, type SessionStep } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zDuration, zGlobs, zWarmup } from '../schema-helpers';

const sequence = z.strictObject({
  from: zGlobs.min(1),
  to: zGlobs.min(1),
  /** Longest time from `from` to `to` (default: the rule's window). */
  maxspan: zDuration.optional(),
  /** Former name of `maxspan`. */
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
    const pairs = p.sequences.map((s, i) => ({
      from: compileGlobs(s.from),
      to: compileGlobs(s.to),
      maxspan: s.maxspan ?? s.within ?? rule.window,
      mark: `${rule.id}#${i}`,
    }));
    return {
      onRecord(ctx) {
        const { rec, session, trace } = ctx;
        if (rec.tool === null) return null;
        const tool = rec.tool;
        let firing: { earlier: SessionStep; scope: string } | null = null;
        for (const pair of pairs) {
          if (firing || !pair.to(tool)) continue;
          const inSpan = (s: SessionStep | undefined) => (s && ctx.timeMs - s.timeMs <= pair.maxspan ? s : undefined);
          const inSession = inSpan(session?.markOf(pair.mark));
          const inTrace = p.across_trace ? inSpan(trace?.markOf(pair.mark)) : undefined;
          if (inSession) firing = { earlier: inSession, scope: 'session' };
          else if (inTrace) firing = { earlier: inTrace, scope: 'trace' };
        }
        // This call is the latest `from` of its pairs for the calls after it.
        const step: SessionStep = { tool, timeMs: ctx.timeMs, ref: ctx.ref };
        for (const pair of pairs) {
          if (!pair.from(tool)) continue;
          session?.mark(pair.mark, step);
          if (p.across_trace) trace?.mark(pair.mark, step);
        }
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        if (firing) {
          const { earlier, scope } = firing;
          return {
            group,
            timeMs: ctx.timeMs,
            refs: [earlier.ref, ctx.ref],
            finding: `${earlier.tool} → ${tool}`,
            summary: `${earlier.tool} then ${tool} in one ${scope} within ${Math.round((ctx.timeMs - earlier.timeMs) / 1000)} s`,
          };
        }
        if (rec.session_id === null) return null;
        const prev = session?.prev;
        if (p.new_transitions && prev && ctx.service.isWarm(ctx.timeMs, p.warmup)) {
          if (!ctx.service.transitions?.has(`${prev.tool}\u001f${tool}`)) {
            return {
              group,
              timeMs: ctx.timeMs,
              refs: [prev.ref, ctx.ref],
              finding: `${prev.tool} → ${tool}`,
              summary: `never-seen tool sequence ${prev.tool} → ${tool}`,
            };
          }
        }
        return null;
      },
    };
  },
});
