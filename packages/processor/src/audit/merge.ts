import type { AuditDraft } from '@mcptrail/conventions';

/**
 * One call seen twice: the span knows timing, status and parentage; the audit log record
 * carries the redacted arguments and the result summary. The span wins for every field
 * it has, except the payload the log record exists for.
 */
export function mergeSpanAndLog(span: AuditDraft, log: AuditDraft): AuditDraft {
  const merged = { ...span } as Record<string, unknown>;
  const logFields = log as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(logFields)) {
    if (merged[key] === null || merged[key] === undefined) merged[key] = value;
  }
  const out = merged as unknown as AuditDraft;
  if (log.args !== null && log.args !== undefined) out.args = log.args;
  if (log.result !== null) out.result = log.result;
  if (log.error_message !== null) out.error_message = log.error_message;
  // The log record states the outcome the instrumentation classified (e.g. denied).
  out.outcome = log.outcome !== 'ok' ? log.outcome : span.outcome;
  const types = new Set([...(span.redaction_types ?? []), ...(log.redaction_types ?? [])]);
  out.redaction_types = types.size > 0 ? [...types].sort() : null;
  // Span and log record may come from different senders: a mismatch is itself a flag.
  const flags = new Set([...(span.identity_flags ?? []), ...(log.identity_flags ?? [])]);
  if ((span.credential_id ?? null) !== (log.credential_id ?? null)) flags.add('paired-credential');
  out.identity_flags = flags.size > 0 ? [...flags].sort() : null;
  // Time comes from the span, so does its clock verdict; received when the first half arrived.
  out.clock_anomaly = span.clock_anomaly ?? null;
  if (span.received_time && log.received_time && log.received_time < span.received_time) out.received_time = log.received_time;
  out.source = 'span+log';
  return out;
}
