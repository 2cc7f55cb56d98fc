/**
 * Tool poisoning: a tool description carrying instructions aimed at the model rather
 * than the user (`<IMPORTANT>` blocks, "ignore previous instructions", "do not tell
 * the user", requests to read keys or dotfiles) or hidden characters (zero-width,
 * bidirectional overrides, Unicode tag characters) that hide text from people.
 */
import { z } from 'zod';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zRegexList } from '../schema-helpers';

export const POISONING_PATTERNS: Array<[string, RegExp]> = [
  ['instruction tag', /<\/?\s*(?:important|system|instructions?|secret|hidden|admin|override)\s*>/i],
  ['override of prior instructions', /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|other)\s+(?:instructions?|prompts?|rules?|directions?)/i],
  ['concealment from the user', /\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|mention|reveal|show|notify|alert)\s+(?:this\s+|it\s+|anything\s+)?(?:to\s+)?(?:the\s+)?user/i],
  ['concealment from the user', /\bwithout\s+(?:telling|informing|notifying|alerting)\s+(?:the\s+)?user/i],
  ['instruction to read secrets', /(?:~\/\.ssh|\bid_(?:rsa|ed25519|ecdsa)\b|\/etc\/(?:passwd|shadow)|\.env\b|\.aws\/credentials|mcp\.json)/i],
  ['instruction to use another tool', /\b(?:before|after|instead\s+of)\s+(?:using|calling|invoking)\s+(?:this|any|the)\s+(?:other\s+)?tool\b/i],
  ['model-directed imperative', /\b(?:you\s+must|the\s+assistant\s+must|the\s+model\s+must|always\s+first)\s+(?:call|read|send|include|pass|use)\b/i],
];

/** Zero-width and joiner characters, bidirectional controls, and Unicode tag characters. */
export const HIDDEN_UNICODE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/;

export function findPoisoning(description: string, extra: RegExp[], hiddenUnicode: boolean): string | null {
  const text = description.length > 65_536 ? description.slice(0, 65_536) : description;
  if (hiddenUnicode && HIDDEN_UNICODE.test(text)) return 'hidden characters';
  for (const [label, re] of POISONING_PATTERNS) if (re.test(text)) return label;
  for (const re of extra) if (re.test(text)) return `pattern ${re.source}`;
  return null;
}

export const toolPoisoning = defineEvaluator({
  type: 'tool_poisoning',
  params: z.strictObject({
    patterns: zRegexList.default([]),
    hidden_unicode: z.boolean().default(true),
  }),
  defaults: { group_by: ['service', 'tool'], window: '1d', threshold: 1 },
  create(rule, p) {
    return {
      onDefinition(ctx) {
        const { ev } = ctx;
        if (!ev.description) return null;
        const found = findPoisoning(ev.description, p.patterns, p.hidden_unicode);
        if (!found) return null;
        const group = groupOf({ service: ev.service, tool: ev.tool }, rule.group_by);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: ctx.ref ? [ctx.ref] : [],
          summary: `description of tool ${ev.tool} contains ${found}`,
        };
      },
    };
  },
});
