import type { AuditDraft } from '@mcptrail/conventions';
import type { InboxDraft } from './inbox-codec';
import { mergeSpanAndLog } from './merge';

/** An inbox entry as the pairing book tracks it: how many of its drafts are not sealed yet. */
export interface EntryState {
  id: number;
  remaining: number;
  /** Indexes of keyless drafts already sealed (they have no call-once key to be caught by). */
  keylessDone: number[];
}

/** One acknowledged half, with where it lives in the inbox. */
export interface Half extends InboxDraft {
  entry: EntryState;
  index: number;
}

/** The halves of one call (a span and its audit log record, plus any exporter retries of either). */
export interface PendingCall {
  trace_id: string | null;
  span_id: string | null;
  halves: Half[];
  /** Epoch ms from which it is sealed even without its partner. */
  readyAt: number;
  /** Epoch ms its first half arrived (lone-half detection counts from here). */
  arrivedAt?: number;
  /** May be detected before it is sealed (see takeLoneHalves); false for client fallbacks, which wait to be superseded. */
  previewable?: boolean;
  /** Handed to detection before sealing: never again. */
  previewed?: boolean;
  /** Both halves are here (or none can come): sealed at the next pass. */
  complete: boolean;
  /** Taken by a seal pass (or sealed): no longer in the queues. */
  taken: boolean;
  /** A client-side call whose server-side record arrived: consumed without a record of its own. */
  superseded?: boolean;
}

/** How long, and how many, server halves are remembered for the client halves that may still come. */
const SERVER_PARENT_RETENTION_MS = 10 * 60_000;
const SERVER_PARENT_MAX = 200_000;

/**
 * In-memory pairing of acknowledged halves (every one of them is in the durable inbox):
 * keyed calls wait for their partner until `readyAt`; a call whose second half arrives
 * is due at once. Two FIFOs, no sorting: complete calls in the order they completed,
 * waiting calls in arrival order (readyAt = arrival + window, so also readyAt order).
 */
export class PairingBook {
  private readonly open = new Map<string, PendingCall>();
  private ready: PendingCall[] = [];
  private readyHead = 0;
  private waiting: PendingCall[] = [];
  private waitingHead = 0;
  /** Next waiting call that may still be due for lone-half detection (arrival order). */
  private previewHead = 0;
  /** Halves held (not yet taken by a successful seal). */
  halves = 0;
  /**
   * Client-side calls are fallbacks (`clientFallback`): the server half of a call (its parent span is
   * the client span) supersedes the client's, whichever arrives first. Server halves seen recently,
   * by `trace/parent span`, with when they were seen.
   */
  private readonly serverParents = new Map<string, number>();

  constructor(private readonly clientFallback = false) {}

  add(half: Half, readyAt: number, now: number = readyAt): void {
    this.halves++;
    const d = half.draft;
    const keyed = d.trace_id !== null && d.trace_id !== undefined && d.span_id !== null && d.span_id !== undefined;
    if (this.clientFallback && keyed) {
      if (d.side === 'server' && d.parent_span_id) this.noteServerHalf(`${d.trace_id}/${d.parent_span_id}`, now);
      else if (d.side === 'client' && this.serverParents.has(`${d.trace_id}/${d.span_id}`)) {
        const key = `${d.trace_id}/${d.span_id}`;
        const existing = this.open.get(key);
        if (existing) this.join(existing, half);
        else {
          const call: PendingCall = { trace_id: d.trace_id, span_id: d.span_id, halves: [half], readyAt: now, complete: true, taken: false, superseded: true };
          this.open.set(key, call);
          this.ready.push(call);
        }
        return;
      }
    }
    if (!keyed || half.sealNow) {
      const call: PendingCall = { trace_id: keyed ? d.trace_id : null, span_id: keyed ? d.span_id : null, halves: [half], readyAt, complete: true, taken: false };
      // A keyed half that cannot wait (unsampled) still joins a call already open for it.
      const existing = keyed ? this.open.get(`${d.trace_id}/${d.span_id}`) : undefined;
      if (existing) this.join(existing, half);
      else this.ready.push(call);
      return;
    }
    const key = `${d.trace_id}/${d.span_id}`;
    const existing = this.open.get(key);
    if (existing) {
      this.join(existing, half);
      return;
    }
    const previewable = !(this.clientFallback && d.side === 'client');
    const call: PendingCall = { trace_id: d.trace_id, span_id: d.span_id, halves: [half], readyAt, arrivedAt: now, previewable, complete: false, taken: false };
    this.open.set(key, call);
    this.waiting.push(call);
  }

  /** A server half covers the client call `key` names: that call, if waiting, is due now and sealed as nothing. */
  private noteServerHalf(key: string, now: number): void {
    this.serverParents.delete(key);
    this.serverParents.set(key, now);
    if (this.serverParents.size > SERVER_PARENT_MAX) {
      for (const [k, seen] of this.serverParents) {
        if (this.serverParents.size <= SERVER_PARENT_MAX * 0.75 && now - seen < SERVER_PARENT_RETENTION_MS) break;
        this.serverParents.delete(k);
      }
    }
    const client = this.open.get(key);
    if (!client || client.taken || client.halves[0]!.draft.side !== 'client') return;
    client.superseded = true;
    if (!client.complete) {
      client.complete = true;
      this.ready.push(client);
    }
  }

  private join(call: PendingCall, half: Half): void {
    call.halves.push(half);
    if (!call.complete && call.halves.some((h) => h.kind !== half.kind)) {
      call.complete = true;
      this.ready.push(call);
    }
  }

  /** Takes up to `limit` calls due at `now` (every call when `now` is Infinity), in due order. */
  take(now: number, limit: number): PendingCall[] {
    const out: PendingCall[] = [];
    while (out.length < limit && this.readyHead < this.ready.length) {
      const call = this.ready[this.readyHead++]!;
      if (!call.taken) out.push(this.mark(call));
    }
    while (out.length < limit && this.waitingHead < this.waiting.length) {
      const call = this.waiting[this.waitingHead]!;
      if (call.taken || call.complete) {
        this.waitingHead++;
        continue;
      }
      if (call.readyAt > now) break;
      this.waitingHead++;
      out.push(this.mark(call));
    }
    this.compact();
    return out;
  }

  /**
   * Calls still alone `afterMs` after their first half arrived and not due to seal by `now`:
   * each is returned once, in arrival order, for detection before sealing.
   */
  takeLoneHalves(now: number, afterMs: number, limit: number): PendingCall[] {
    const out: PendingCall[] = [];
    while (out.length < limit && this.previewHead < this.waiting.length) {
      const call = this.waiting[this.previewHead]!;
      if (call.taken || call.complete || call.previewed || !call.previewable) {
        this.previewHead++;
        continue;
      }
      if ((call.arrivedAt ?? call.readyAt) + afterMs > now) break;
      this.previewHead++;
      // Due to seal in this very pass: detected as a sealed record, no earlier.
      if (call.readyAt <= now) continue;
      call.previewed = true;
      out.push(call);
    }
    return out;
  }

  /** When the next call becomes due for lone-half detection (null: none). */
  nextLoneHalfAt(afterMs: number): number | null {
    for (let i = this.previewHead; i < this.waiting.length; i++) {
      const call = this.waiting[i]!;
      if (!call.taken && !call.complete && !call.previewed && call.previewable) return (call.arrivedAt ?? call.readyAt) + afterMs;
    }
    return null;
  }

  private mark(call: PendingCall): PendingCall {
    call.taken = true;
    if (call.trace_id !== null) {
      const key = `${call.trace_id}/${call.span_id}`;
      if (this.open.get(key) === call) this.open.delete(key);
    }
    return call;
  }

  /** A seal transaction failed: its calls go back to the front, due at once. */
  putBack(calls: readonly PendingCall[]): void {
    for (const call of calls) {
      call.taken = false;
      call.complete = true;
      if (call.trace_id !== null) this.open.set(`${call.trace_id}/${call.span_id}`, call);
    }
    this.ready = [...calls, ...this.ready.slice(this.readyHead)];
    this.readyHead = 0;
  }

  /** Halves of calls sealed: no longer held. */
  release(calls: readonly PendingCall[]): void {
    for (const call of calls) this.halves -= call.halves.length;
  }

  /** When the oldest waiting call is due (null: none waits); Infinity-free. */
  nextReadyAt(): number | null {
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const call = this.waiting[i]!;
      if (!call.taken && !call.complete) return call.readyAt;
    }
    return null;
  }

  hasReady(): boolean {
    for (let i = this.readyHead; i < this.ready.length; i++) if (!this.ready[i]!.taken) return true;
    return false;
  }

  private compact(): void {
    if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.previewHead = Math.max(this.previewHead, this.waitingHead) - this.waitingHead;
      this.waitingHead = 0;
    }
  }
}

/** The draft a call seals as: span and log merged when both came, else the half that did. */
export function draftOf(call: PendingCall): AuditDraft {
  let span: Half | undefined;
  let log: Half | undefined;
  for (const h of call.halves) {
    if (h.kind === 'span') span ??= h;
    else log ??= h;
  }
  if (span && log) return mergeSpanAndLog(span.draft, log.draft);
  return (span ?? log ?? call.halves[0]!).draft;
}

/**
 * The inbox bookkeeping of sealing `calls`: entries whose last drafts they are (deleted
 * by the seal transaction) and partly sealed entries that gain keyless sealed drafts
 * (noted, so a restart does not seal them twice). Pure: applied only after COMMIT.
 */
export function inboxProgressOf(calls: readonly PendingCall[]): {
  consumed: EntryState[];
  noted: Array<{ entry: EntryState; done: number[] }>;
  apply: () => void;
} {
  const taken = new Map<EntryState, { count: number; keyless: number[] }>();
  for (const call of calls) {
    for (const h of call.halves) {
      let t = taken.get(h.entry);
      if (!t) {
        t = { count: 0, keyless: [] };
        taken.set(h.entry, t);
      }
      t.count++;
      if (call.trace_id === null) t.keyless.push(h.index);
    }
  }
  const consumed: EntryState[] = [];
  const noted: Array<{ entry: EntryState; done: number[] }> = [];
  for (const [entry, t] of taken) {
    if (entry.remaining - t.count <= 0) consumed.push(entry);
    else if (t.keyless.length > 0) noted.push({ entry, done: [...entry.keylessDone, ...t.keyless] });
  }
  return {
    consumed,
    noted,
    apply: () => {
      for (const [entry, t] of taken) entry.remaining -= t.count;
      for (const n of noted) n.entry.keylessDone = n.done;
    },
  };
}
