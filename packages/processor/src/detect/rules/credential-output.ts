/**
 * Credential-looking data in tool traffic: the redactor reported a credential type (AWS
 * key, JWT, private key, token…) on this call's telemetry, or a `[REDACTED:<type>]`
 * marker of a credential type appears in the error message or the arguments (secrets
 * handed to the model, or sent out through a tool's parameters). Key-name redactions
 * (`key:password` for an argument named password) are expected and excluded by default.
 */
import { CREDENTIAL_RULE_TYPES, markerTypes } from '@mcptrail/redact';
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zGlobs } from '../schema-helpers';

/**
 * @mcptrail/redact's credential types (every provider rule, PEM/JWK keys, JWTs, URL passwords,
 * generic secrets, …: its CREDENTIAL_RULE_TYPES), plus globs for other emitters' names.
 */
export const DEFAULT_CREDENTIAL_TYPES = [
  ...CREDENTIAL_RULE_TYPES,
  'bearer*', '*private_key*', 'pem*', 'aws_*', 'github_*', 'gitlab_*', 'slack_*', 'stripe_*',
  'openai*', 'anthropic*', 'google_*', 'gcp_*', 'azure_*', '*api_key*', '*token*', '*secret*',
  'connection_string*', 'ssh_*', 'npm_*', 'high_entropy',
];

const MAX_DEPTH = 32;
const MAX_STRINGS = 1_000;

/** Types of the `[REDACTED:<type>]` markers in the string leaves of `args` (bounded walk). */
export function markerTypesIn(args: unknown): string[] {
  const out: string[] = [];
  const stack: Array<[unknown, number]> = [[args, 0]];
  let strings = 0;
  while (stack.length > 0 && strings < MAX_STRINGS) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value === 'string') {
      strings++;
      for (const t of markerTypes(value)) out.push(t);
    } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
      for (const v of Array.isArray(value) ? value : Object.values(value)) stack.push([v, depth + 1]);
    }
  }
  return out;
}

export const credentialOutput = defineEvaluator({
  type: 'credential_output',
  params: z.strictObject({
    types: zGlobs.default(DEFAULT_CREDENTIAL_TYPES),
    exclude: zGlobs.default(['key:*']),
    /** Also read `[REDACTED:<type>]` markers in the arguments: secrets passed out through a tool's parameters. */
    arguments: z.boolean().default(true),
  }),
  defaults: { group_by: ['service', 'tool'], window: '1h', threshold: 1 },
  create(rule, p) {
    const isCredential = compileGlobs(p.types);
    const excluded = compileGlobs(p.exclude);
    return {
      onRecord(ctx) {
        const fromArgs = p.arguments && ctx.rec.args !== null && ctx.rec.args !== undefined ? markerTypesIn(ctx.rec.args) : [];
        const found = [...ctx.redactionTypes, ...fromArgs].filter((t) => isCredential(t) && !excluded(t));
        if (found.length === 0) return null;
        const group = groupOf(ctx.rec, rule.group_by);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          summary: `credential-looking values (${[...new Set(found)].slice(0, 5).join(', ')}) in the telemetry of ${ctx.rec.tool ?? ctx.rec.method}`,
        };
      },
    };
  },
});
