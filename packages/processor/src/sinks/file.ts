import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { AuditRecord } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import type { Logger } from '../logger';
import { SinkError } from './errors';
import { alertLine, recordLine } from './ndjson';
import type { Sink, SinkStats } from './types';
import { EVENT_MCPTRAIL_CHECKPOINT, type WitnessEntry } from '../witness/file-witness';

export interface FileSinkOptions {
  path: string;
  records: boolean;
  /**
   * - `always`: fsync after every batch (an alert is on disk before the next batch is handled).
   * - `interval`: fsync at most once a second while there are unsynced writes.
   * - `never`: leave it to the OS page cache.
   */
  fsync: 'always' | 'interval' | 'never';
  logger: Logger;
}

/**
 * NDJSON appended to a file (created 0600). Writes are synchronous appends of whole
 * batches, so a line is never interleaved or half-written by this process.
 */
export function createFileSink(opts: FileSinkOptions): Sink & { stats(): SinkStats } {
  let fd: number;
  try {
    fd = openSync(opts.path, 'a', 0o600);
  } catch (err) {
    throw new SinkError(
      'MCPTRAIL_ERR_SINK_FILE_OPEN',
      `sinks.file.path: cannot open '${opts.path}' for appending (${(err as NodeJS.ErrnoException).code ?? 'EIO'})`,
    );
  }
  const stats: SinkStats = { delivered: 0, failed: 0, dropped: 0 };
  let dirty = false;
  let closed = false;
  const timer = opts.fsync === 'interval' ? setInterval(() => sync(), 1000) : null;
  timer?.unref();

  function sync(): void {
    if (!dirty || closed) return;
    try {
      fsyncSync(fd);
      dirty = false;
    } catch (err) {
      opts.logger.error('file sink fsync failed', { code: 'MCPTRAIL_ERR_SINK_FILE_WRITE', err });
    }
  }

  function append(lines: string[]): void {
    if (lines.length === 0 || closed) return;
    try {
      writeSync(fd, `${lines.join('\n')}\n`);
      stats.delivered += lines.length;
      dirty = true;
      if (opts.fsync === 'always') sync();
    } catch (err) {
      stats.failed += lines.length;
      opts.logger.error('file sink write failed', { code: 'MCPTRAIL_ERR_SINK_FILE_WRITE', lines: lines.length, err });
    }
  }

  return {
    name: 'file',
    wantsRecords: opts.records,
    alerts(alerts: readonly Alert[]) {
      append(alerts.map(alertLine));
    },
    records(records: readonly AuditRecord[]) {
      if (opts.records) append(records.map(recordLine));
    },
    checkpoint(entry: WitnessEntry) {
      append([JSON.stringify({ event: EVENT_MCPTRAIL_CHECKPOINT, checkpoint: entry })]);
    },
    async flush() {
      if (opts.fsync !== 'never') sync();
    },
    async close() {
      if (closed) return;
      if (timer) clearInterval(timer);
      if (opts.fsync !== 'never') sync();
      closed = true;
      closeSync(fd);
    },
    stats: () => ({ ...stats }),
  };
}
