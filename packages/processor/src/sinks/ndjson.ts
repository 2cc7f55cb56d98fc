import { type AuditRecord, EVENT_MCPTRAIL_ALERT, EVENT_MCPTRAIL_AUDIT_RECORD } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import { safeJsonStringify } from '../safe-text';

/**
 * The line format shared by the stdout and file sinks (and the webhook body): an envelope
 * naming the event, so one stream can carry alerts and records.
 * `{"event":"mcptrail.alert","alert":{…}}` / `{"event":"mcptrail.audit.record","record":{…}}`
 */
export function alertLine(alert: Alert): string {
  return safeJsonStringify({ event: EVENT_MCPTRAIL_ALERT, alert });
}

export function recordLine(record: AuditRecord): string {
  return safeJsonStringify({ event: EVENT_MCPTRAIL_AUDIT_RECORD, record });
}
