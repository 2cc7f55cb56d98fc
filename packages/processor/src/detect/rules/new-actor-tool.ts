/**
 * First use of a tool by an actor, once the service's baseline is warm (a new service
 * would otherwise alert on everything). Sensitive tools suddenly used by new callers.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zGlobs, zWarmup } from '../schema-helpers';

export const newActorTool = defineEvaluator({
  type: 'new_actor_tool',
  params: z.strictObject({
    /** Only these tools (globs). */
    tools: zGlobs.default(['*']),
    /** Also alert for an actor never seen before (its every first tool). */
    new_actors: z.boolean().default(true),
    warmup: zWarmup.default({ minObservations: 200, minAgeMs: 86_400_000 }),
  }),
  defaults: { group_by: ['service', 'actor_id', 'tool'], window: '1d', threshold: 1 },
  create(rule, p) {
    const watched = compileGlobs(p.tools);
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        if (rec.tool === null || rec.actor_id === null || !watched(rec.tool)) return null;
        if (ctx.actorTool && ctx.actorTool.observations > 0) return null;
        if (!ctx.service.isWarm(ctx.timeMs, p.warmup)) return null;
        const newActor = !ctx.actorService || ctx.actorService.observations === 0;
        if (newActor && !p.new_actors) return null;
        const group = groupOf(rec, rule.group_by, ['actor_id', 'tool']);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          summary: `first use of tool ${rec.tool} by actor ${rec.actor_id}${newActor ? ' (new actor for this service)' : ''}`,
        };
      },
    };
  },
});
