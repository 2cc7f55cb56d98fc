import type { AuditDraft } from '@mcptrail/conventions';
import { encodeInbox } from '../audit/inbox-codec';

/**
 * Schema v1 staged every acknowledged half of a call as its own row (`audit_staging`).
 * Opening such a file moves whatever is still staged into one inbox entry, so the
 * pipeline seals it like drafts acknowledged before a restart.
 */
export function legacyStagingToInbox(rows: ReadonlyArray<{ kind: 'span' | 'log'; draft: string }>): string {
  return encodeInbox(rows.map((r) => ({ kind: r.kind, sealNow: false, draft: JSON.parse(r.draft) as AuditDraft })));
}
