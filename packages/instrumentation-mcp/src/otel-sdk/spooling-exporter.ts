import { diag } from '@opentelemetry/api';
import type { ExportFailures } from './export-failures';
import type { OtlpHandle } from './otlp-internals';
import type { Spool, SpoolSignal } from './spool';

/** `ExportResultCode` of the SDK (0 = SUCCESS, 1 = FAILED), without importing `@opentelemetry/core`. */
const SUCCESS = 0;
const FAILED = 1;
interface ExportResult {
  code: number;
  error?: Error;
}
type Done = (result: ExportResult) => void;

/** The SDK exporter interface both span and log record exporters share. */
export interface BatchExporter {
  export(items: unknown[], done: Done): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

interface InFlight {
  bytes: Uint8Array;
  count: number;
  done: Done;
}

const REPLAY_EVERY_MS = 5000;

/**
 * An OTLP/HTTP exporter with a spool behind it. Each batch is serialized once and POSTed once (no
 * retries: a retry timer would keep a finished process alive); a batch that fails is appended to the
 * spool, and reported to the batch processor as done, since it is safe on disk. `abandon()` (the exit
 * deadline, `process.exit()`) spools whatever is still in flight, synchronously. Spooled requests are
 * replayed at start, after the next delivered batch, and every few seconds while the spool is not
 * empty; the processor drops the copies it already has (one record per trace id + span id).
 * With `spool` undefined (spans, unless MCPTRAIL_SPOOL_SPANS) failures are only reported.
 */
export class SpoolingExporter implements BatchExporter {
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 0;
  private replaying: Promise<void> | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private lastReplay = 0;
  private closed = false;

  constructor(
    private readonly inner: BatchExporter,
    private readonly handle: OtlpHandle,
    private readonly signal: SpoolSignal,
    private readonly format: string,
    private readonly failures: ExportFailures,
    private readonly spool: Spool | undefined,
  ) {}

  export(items: unknown[], done: Done): void {
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.handle.serialize(items);
    } catch (error) {
      done({ code: FAILED, error: error as Error });
      return;
    }
    if (bytes === undefined) {
      done({ code: SUCCESS });
      return;
    }
    if (this.closed) {
      done(this.toSpool(bytes, items.length) ? { code: SUCCESS } : { code: FAILED, error: new Error('exporter shut down') });
      return;
    }
    const id = this.nextId++;
    this.inFlight.set(id, { bytes, count: items.length, done });
    this.handle.send(bytes).then(
      (response) => this.settle(id, response.status === 'success' ? undefined : (response.error ?? retryableStatus())),
      (error: unknown) => this.settle(id, error instanceof Error ? error : new Error(String(error))),
    );
  }

  private settle(id: number, error: Error | undefined): void {
    const flight = this.inFlight.get(id);
    if (flight === undefined) return; // Abandoned: already spooled and answered.
    this.inFlight.delete(id);
    if (error === undefined) {
      flight.done({ code: SUCCESS });
      this.replaySoon();
      return;
    }
    const spooled = this.toSpool(flight.bytes, flight.count);
    this.failures.report(
      `${this.signal} export failed`,
      error,
      spooled && this.spool
        ? `spooling to ${this.spool.file}, replayed when the backend answers`
        : this.spool === undefined
          ? 'not delivered (MCPTRAIL_SPOOL_SPANS=true spools spans too)'
          : 'not delivered',
    );
    flight.done(spooled ? { code: SUCCESS } : { code: FAILED, error: this.failures.markReported(error) });
  }

  /** Synchronous: every batch still in flight goes to the spool, then the sockets are closed. Returns the records spooled. */
  abandon(): number {
    let records = 0;
    for (const [id, flight] of this.inFlight) {
      this.inFlight.delete(id);
      if (this.toSpool(flight.bytes, flight.count)) records += flight.count;
      // Not spooled (spans without MCPTRAIL_SPOOL_SPANS): answered as failed, so they count as lost.
      flight.done({ code: SUCCESS });
    }
    this.handle.abortInFlight();
    return records;
  }

  /** Synchronous: spool items that never reached `export` (the batch processor's queue at exit). */
  spoolItems(items: unknown[]): number {
    if (items.length === 0 || this.spool === undefined) return 0;
    try {
      const bytes = this.handle.serialize(items);
      return bytes !== undefined && this.toSpool(bytes, items.length) ? items.length : 0;
    } catch (error) {
      diag.error(`spool: could not serialize ${items.length} queued ${this.signal}`, error);
      return 0;
    }
  }

  get spooling(): boolean {
    return this.spool !== undefined;
  }

  /** Send what earlier runs (or earlier failures) spooled. One replay at a time; stops at the first failure. */
  replay(): Promise<void> {
    if (this.spool === undefined || this.closed) return Promise.resolve();
    this.replaying ??= this.replayOnce().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replayOnce(): Promise<void> {
    const spool = this.spool as Spool;
    this.lastReplay = Date.now();
    const entries = spool.claim();
    const mine = entries.filter((e) => e.signal === this.signal && e.format === this.format && e.to === this.handle.url);
    const others = entries.filter((e) => !mine.includes(e));
    let sent = 0;
    let records = 0;
    let failedAt = mine.length;
    for (let i = 0; i < mine.length; i++) {
      const entry = mine[i];
      if (entry === undefined) continue;
      const response = await this.handle.send(Buffer.from(entry.body, 'base64')).catch((error: unknown) => ({ status: 'failure' as const, error: error as Error }));
      if (response.status !== 'success') {
        failedAt = i;
        break;
      }
      sent++;
      records += entry.count;
    }
    spool.putBack([...others, ...mine.slice(failedAt)]);
    if (sent > 0) diag.info(`spool: replayed ${records} ${this.signal === 'logs' ? 'log records' : 'spans'} (${sent} requests) from ${spool.file}`);
    this.scheduleReplays(spool.size() > 0);
  }

  /** After a delivered batch: the backend answers again, so try the spool (at most once a second). */
  private replaySoon(): void {
    if (this.spool === undefined || this.replaying !== undefined || Date.now() - this.lastReplay < 1000) return;
    if (this.spool.size() > 0) void this.replay();
  }

  private scheduleReplays(pending: boolean): void {
    if (pending && this.replayTimer === undefined && !this.closed) {
      // Unref'd: retrying the spool never keeps a process alive.
      this.replayTimer = setInterval(() => void this.replay(), REPLAY_EVERY_MS).unref();
    } else if (!pending && this.replayTimer !== undefined) {
      clearInterval(this.replayTimer);
      this.replayTimer = undefined;
    }
  }

  private toSpool(bytes: Uint8Array, count: number): boolean {
    if (this.spool === undefined) return false;
    const ok = this.spool.append({ signal: this.signal, format: this.format, to: this.handle.url, count, body: bytes });
    if (ok) this.scheduleReplays(true);
    return ok;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.scheduleReplays(false);
    await this.inner.shutdown();
  }
}

/** A retryable HTTP status (429, 502, 503, 504) comes back from the transport without an error. */
function retryableStatus(): Error {
  return Object.assign(new Error('backend busy or unavailable (HTTP 429, 502, 503 or 504)'), { code: 'HTTP 429/502/503/504' });
}
