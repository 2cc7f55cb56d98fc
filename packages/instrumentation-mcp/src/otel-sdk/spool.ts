import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { diag } from '@opentelemetry/api';

export type SpoolSignal = 'logs' | 'traces';

/** One spooled export request: the exact body the exporter would have sent. */
export interface SpoolEntry {
  v: 1;
  signal: SpoolSignal;
  /** Body encoding, from OTEL_EXPORTER_OTLP_*_PROTOCOL: replayed only by an exporter of the same kind. */
  format: string;
  /** The exporter URL it was meant for: replayed only there, never to another backend. */
  to: string;
  /** When it was spooled (ms since the epoch), for the age bound. */
  at: number;
  /** Log records or spans in the request. */
  count: number;
  /** Base64 of the OTLP request body. */
  body: string;
}

export interface SpoolOptions {
  /** Directory; the file is `<dir>/<service>.jsonl`. */
  dir: string;
  service: string;
  maxBytes: number;
  maxAgeMillis: number;
}

/** `~/.mcptrail/spool`, or the temp dir when there is no home. */
export function defaultSpoolDir(): string {
  let home = '';
  try {
    home = homedir();
  } catch {
    // No home directory (some service accounts).
  }
  return path.join(home === '' ? tmpdir() : home, '.mcptrail', 'spool');
}

/**
 * A bounded on-disk spool of OTLP export requests that could not be delivered, modelled on the
 * Collector's `file_storage` sending queue and the Azure exporter's offline storage: JSON lines,
 * appended synchronously (so it works inside `process.on('exit')`), one file per service. When the
 * file would pass `maxBytes`, the oldest entries are dropped, counted and reported; entries older
 * than `maxAgeMillis` are dropped when replayed. A process replays by renaming the file first, so
 * two processes never replay the same entries; whatever it cannot send goes back.
 */
export class Spool {
  readonly file: string;
  private failedOnce = false;
  /** Records dropped at the bounds, per signal. */
  readonly dropped: Record<SpoolSignal, number> = { logs: 0, traces: 0 };

  constructor(private readonly options: SpoolOptions) {
    const service = options.service.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'unknown_service';
    this.file = path.join(options.dir, `${service}.jsonl`);
  }

  /** Synchronous; never throws. Returns false when the entry could not be written. */
  append(entry: Omit<SpoolEntry, 'v' | 'at' | 'body'> & { body: Uint8Array }): boolean {
    const line = `${JSON.stringify({ v: 1, signal: entry.signal, format: entry.format, to: entry.to, at: Date.now(), count: entry.count, body: Buffer.from(entry.body).toString('base64') } satisfies SpoolEntry)}\n`;
    try {
      mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
      const size = this.size();
      if (size + line.length > this.options.maxBytes) this.makeRoom(line.length);
      // A crash in the middle of an append leaves a partial line: start on a fresh one so this entry stays whole.
      appendFileSync(this.file, size > 0 && !endsWithNewline(this.file, this.size()) ? `\n${line}` : line, { mode: 0o600 });
      return true;
    } catch (error) {
      if (!this.failedOnce) {
        this.failedOnce = true;
        diag.error(`spool: cannot write ${this.file} (${(error as Error).message}); undelivered records are lost`);
      }
      return false;
    }
  }

  /** Take every entry out of the spool (this process now owns them); the aged ones are dropped and counted. */
  claim(): SpoolEntry[] {
    const claimed = `${this.file}.replay-${process.pid}`;
    try {
      renameSync(this.file, claimed);
    } catch {
      return []; // Nothing spooled, or another process is replaying it.
    }
    let text = '';
    try {
      text = readFileSync(claimed, 'utf8');
      unlinkSync(claimed);
    } catch {
      return [];
    }
    const oldest = Date.now() - this.options.maxAgeMillis;
    const entries: SpoolEntry[] = [];
    for (const entry of parseLines(text)) {
      if (entry.at < oldest) this.drop(entry, 'older than MCPTRAIL_SPOOL_MAX_AGE_HOURS');
      else entries.push(entry);
    }
    return entries;
  }

  /** Put back what could not be replayed (a partial line from a crash was already skipped). */
  putBack(entries: SpoolEntry[]): void {
    if (entries.length === 0) return;
    try {
      mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
      appendFileSync(this.file, entries.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
    } catch (error) {
      diag.error(`spool: cannot write ${this.file} (${(error as Error).message}); ${entries.length} requests lost`);
    }
  }

  size(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /** Drop the oldest entries until `needed` more bytes fit under the bound (with a quarter to spare). */
  private makeRoom(needed: number): void {
    const entries = parseLines(readFileSync(this.file, 'utf8'));
    let bytes = entries.reduce((n, e) => n + JSON.stringify(e).length + 1, 0);
    const target = Math.max(0, Math.floor(this.options.maxBytes * 0.75) - needed);
    let first = 0;
    while (first < entries.length && bytes > target) {
      const entry = entries[first] as SpoolEntry;
      bytes -= JSON.stringify(entry).length + 1;
      this.drop(entry, 'MCPTRAIL_SPOOL_MAX_BYTES reached, oldest first');
      first++;
    }
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, entries.slice(first).map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private drop(entry: SpoolEntry, why: string): void {
    this.dropped[entry.signal] += entry.count;
    diag.warn(`spool: dropped ${entry.count} ${entry.signal === 'logs' ? 'log records' : 'spans'} (${why}); ${this.dropped.logs} log records and ${this.dropped.traces} spans dropped so far`);
  }
}

function endsWithNewline(file: string, size: number): boolean {
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

function parseLines(text: string): SpoolEntry[] {
  const out: SpoolEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line) as Partial<SpoolEntry>;
      if (e.v === 1 && (e.signal === 'logs' || e.signal === 'traces') && typeof e.to === 'string' && typeof e.body === 'string' && typeof e.at === 'number') {
        out.push(e as SpoolEntry);
      }
    } catch {
      // A line cut short by a crash: skip it, keep the rest.
    }
  }
  return out;
}
