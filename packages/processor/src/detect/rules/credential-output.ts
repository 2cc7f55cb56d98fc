/**
 * Credential-looking output: the redactor reported a credential type (AWS key, JWT,
 * private key, token…) on this call's telemetry, or a `[REDACTED:<type>]` marker of a
 * credential type appears in the error message. Key-name redactions (`key:password`
 * for an argument named password) are expected and excluded by default.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zGlobs } from '../schema-helpers';

/** @mcptrail/redact's credential value rules (aws_access_key, pem_private_key, url_password, …), with globs for families it may grow. */
export const DEFAULT_CREDENTIAL_TYPES = [
  'jwt', 'bearer*', '*private_key*', 'pem*', 'aws_*', 'github_*', 'gitlab_*', 'slack_*', 'stripe_*',
  'openai*', 'anthropic*', 'google_*', 'gcp_*', 'azure_*', '*api_key*', '*token*', '*secret*',
  'connection_string*', 'ssh_*', 'npm_*', 'url_password', 'basic_auth', 'high_entropy',
];

export const credentialOutput = defineEvaluator({
  type: 'credential_output',
  params: z.strictObject({
    types: zGlobs.default(DEFAULT_CREDENTIAL_TYPES),
    exclude: zGlobs.default(['key:*']),
  }),
  defaults: { group_by: ['service', 'tool'], window: '1h', threshold: 1 },
  create(rule, p) {
    const isCredential = compileGlobs(p.types);
    const excluded = compileGlobs(p.exclude);
    return {
      onRecord(ctx) {
        const found = ctx.redactionTypes.filter((t) => isCredential(t) && !excluded(t));
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
