/**
 * One session's or one trace's calls in order, grouped by trace (one trace per agent
 * prompt), with the tool schema version each call saw and a flag where it changed.
 * Pages through the store (`limit` records per page, a chain/seq cursor), never the trail.
 */
import type { AuditRecord } from '@mcptrail/conventions';
import type { RecordRef } from '../detect/types';
import type { AuditQuery, AuditStore } from '../store/types';

export interface TimelineFilter {
  session?: string;
  service?: string;
  trace_id?: string;
  /** Open the session of this record (an alert's evidence). */
  at?: RecordRef;
  after?: { chain: string; seq: number };
  limit: number;
}

export interface TimelineEntry {
  record: AuditRecord;
  /** The tool's schema version differs from the one the previous call of this tool saw. */
  schema_changed: boolean;
  previous_schema_version: string | null;
}

export interface Timeline {
  scope: { kind: 'session' | 'trace'; session: string | null; service: string | null; trace_id: string | null };
  /** Consecutive runs of one trace (= one agent prompt), in time order. */
  traces: Array<{ trace_id: string | null; entries: TimelineEntry[] }>;
  count: number;
  next: { chain: string; after_seq: number } | null;
}

export class TimelineNotFound extends Error {}

async function recordAt(store: AuditStore, ref: RecordRef): Promise<AuditRecord | null> {
  const [r] = await store.query({ chain_id: ref.chain_id, after_seq: ref.seq - 1, limit: 1 }, 'asc');
  return r && r.seq === ref.seq ? r : null;
}

export async function buildTimeline(store: AuditStore, f: TimelineFilter): Promise<Timeline> {
  let { session, service, trace_id } = f;
  if (f.at) {
    const r = await recordAt(store, f.at);
    if (!r) throw new TimelineNotFound(`no record ${f.at.chain_id}#${f.at.seq} in the trail (purged by retention?)`);
    if (r.session_id !== null) {
      session = r.session_id;
      service = r.service;
      trace_id = undefined;
    } else {
      trace_id = r.trace_id ?? undefined;
      session = undefined;
      service = undefined;
    }
    if (session === undefined && trace_id === undefined) {
      // A record with neither: its own one-entry timeline.
      return { scope: { kind: 'trace', session: null, service: r.service, trace_id: null }, traces: [{ trace_id: null, entries: annotate([r]) }], count: 1, next: null };
    }
  }
  const q: AuditQuery = { limit: f.limit };
  if (session !== undefined) q.session_id = session;
  if (service !== undefined) q.service = service;
  if (trace_id !== undefined) q.trace_id = trace_id;
  if (f.after) {
    q.chain_id = f.after.chain;
    q.after_seq = f.after.seq;
  }
  const page = await store.query(q, 'asc');
  const last = page[page.length - 1];
  const next = page.length === f.limit && last ? { chain: last.chain_id, after_seq: last.seq } : null;
  const ordered = [...page].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.chain_id.localeCompare(b.chain_id) || a.seq - b.seq));
  const traces: Timeline['traces'] = [];
  for (const entry of annotate(ordered)) {
    const tail = traces[traces.length - 1];
    if (tail && tail.trace_id === entry.record.trace_id) tail.entries.push(entry);
    else traces.push({ trace_id: entry.record.trace_id, entries: [entry] });
  }
  return {
    scope: {
      kind: session !== undefined ? 'session' : 'trace',
      session: session ?? null,
      service: service ?? null,
      trace_id: session === undefined ? (trace_id ?? null) : null,
    },
    traces,
    count: page.length,
    next,
  };
}

/** Flags each call whose tool schema version differs from the previous call of the same tool. */
function annotate(records: readonly AuditRecord[]): TimelineEntry[] {
  const seen = new Map<string, string | null>();
  return records.map((record) => {
    const key = `${record.service}\u0000${record.tool ?? ''}`;
    const previous = seen.has(key) ? (seen.get(key) as string | null) : undefined;
    seen.set(key, record.tool_schema_version);
    const changed = previous !== undefined && record.tool !== null && previous !== record.tool_schema_version;
    return { record, schema_changed: changed, previous_schema_version: changed ? (previous ?? null) : null };
  });
}
