import type { AuditDraft } from '@mcptrail/conventions';

/** One acknowledged half of a call, as the inbox keeps it until it is sealed. */
export interface InboxDraft {
  kind: 'span' | 'log';
  /** No partner can come (log without trace context, unsampled): seal without waiting. */
  sealNow: boolean;
  draft: AuditDraft;
  /** encodeInboxItem(this), when it was made off the main thread (the ingest worker). */
  encoded?: string;
}

/**
 * The drafts of an inbox entry for a seal stage on this thread. Rows from an ingest worker in
 * `encodedOnly` mode (otlp/prepare-worker.ts) carry only their inbox text, not `draft`: those
 * are decoded from the entry's payload.
 */
export function draftsOf(payload: string, rows: readonly InboxDraft[]): readonly InboxDraft[] {
  return rows.every((r) => r.draft !== undefined) ? rows : decodeInbox(payload);
}

type Encoded = [kind: 's' | 'l', sealNow: 0 | 1, draft: AuditDraft];

/**
 * The inbox payload: the drafts of one group commit as one JSON array of
 * `[kind, sealNow, draft]`, written once and parsed only after a restart.
 */
export function encodeInbox(drafts: readonly InboxDraft[]): string {
  let out = '[';
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    out += (i === 0 ? '' : ',') + (d.encoded ?? encodeInboxItem(d));
  }
  return `${out}]`;
}

/** One draft's `[kind, sealNow, draft]` JSON: encodeInbox joins these, so a worker can make them. */
export function encodeInboxItem(d: InboxDraft): string {
  const item: Encoded = [d.kind === 'span' ? 's' : 'l', d.sealNow ? 1 : 0, d.draft];
  return JSON.stringify(item);
}

export function decodeInbox(payload: string): InboxDraft[] {
  const parsed = JSON.parse(payload) as unknown;
  if (!Array.isArray(parsed)) throw new TypeError('inbox payload is not an array');
  return parsed.map((e: unknown, i) => {
    if (!Array.isArray(e) || (e[0] !== 's' && e[0] !== 'l') || typeof e[2] !== 'object' || e[2] === null) {
      throw new TypeError(`inbox payload item ${i} is not [kind, sealNow, draft]`);
    }
    return { kind: e[0] === 's' ? 'span' : 'log', sealNow: e[1] === 1, draft: e[2] as AuditDraft };
  });
}

/** Progress note of a partly sealed entry: indexes of its drafts sealed without a key (no dedup can catch them). */
export function encodeDone(indexes: readonly number[]): string {
  return JSON.stringify(indexes);
}

export function decodeDone(done: string | null): Set<number> {
  if (done === null) return new Set();
  const parsed = JSON.parse(done) as unknown;
  return new Set(Array.isArray(parsed) ? parsed.filter((n): n is number => Number.isInteger(n)) : []);
}
