/**
 * Rug pull: a tool's definition fingerprint (`mcp.tool.schema.version`) differs from
 * the last one seen for the same service+tool, on a call record or on a tool
 * definition event. The first version seen is the baseline and never alerts.
 */
import { z } from 'zod';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';

export const toolDefinitionChanged = defineEvaluator({
  type: 'tool_definition_changed',
  params: z.strictObject({
    /** Also alert when only the description fingerprint changed (definition events). */
    description_changes: z.boolean().default(true),
  }),
  defaults: { group_by: ['service', 'tool'], window: '1h', threshold: 1 },
  create(rule, p) {
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        const before = ctx.serviceTool?.schemaVersion ?? null;
        const now = rec.tool_schema_version;
        if (rec.tool === null || now === null || before === null || now === before) return null;
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          summary: `definition of tool ${rec.tool} changed: schema version ${before} → ${now}`,
        };
      },
      onDefinition(ctx) {
        const { ev } = ctx;
        const beforeVersion = ctx.serviceTool.schemaVersion;
        const beforeDesc = ctx.serviceTool.descriptionFingerprint;
        const versionChanged = ev.schema_version !== null && beforeVersion !== null && ev.schema_version !== beforeVersion;
        const descChanged =
          p.description_changes &&
          ctx.descriptionFingerprint !== null &&
          beforeDesc !== null &&
          ctx.descriptionFingerprint !== beforeDesc;
        if (!versionChanged && !descChanged) return null;
        const group = groupOf({ service: ev.service, tool: ev.tool }, rule.group_by);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: ctx.ref ? [ctx.ref] : [],
          summary: versionChanged
            ? `definition of tool ${ev.tool} changed: schema version ${beforeVersion} → ${ev.schema_version}`
            : `description of tool ${ev.tool} changed`,
        };
      },
    };
  },
});
