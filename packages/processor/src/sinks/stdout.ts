import type { AuditRecord } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import type { Logger } from '../logger';
import { alertLine, recordLine } from './ndjson';
import type { Sink } from './types';

export interface StdoutSinkOptions {
  alerts: boolean;
  records: boolean;
  /** @default process.stdout */
  stream?: NodeJS.WritableStream;
  logger?: Logger;
}

/** NDJSON on stdout, for `mcptrail serve | jq` or a container log shipper. */
export function createStdoutSink(opts: StdoutSinkOptions): Sink {
  const stream = opts.stream ?? process.stdout;
  let broken = false;
  // A closed pipe (`mcptrail serve | head`) must not crash the service: stop writing, say so once.
  stream.on('error', (err: Error) => {
    if (broken) return;
    broken = true;
    opts.logger?.error('stdout sink disabled: stdout is not writable', { err });
  });
  const write = (lines: string[]): void => {
    if (lines.length > 0 && !broken) stream.write(`${lines.join('\n')}\n`);
  };
  return {
    name: 'stdout',
    wantsRecords: opts.records,
    alerts(alerts: readonly Alert[]) {
      if (opts.alerts) write(alerts.map(alertLine));
    },
    records(records: readonly AuditRecord[]) {
      if (opts.records) write(records.map(recordLine));
    },
    flush() {
      // Resolves once everything written so far has been handed to the OS.
      return new Promise<void>((resolve) => {
        if (broken || stream.write('')) resolve();
        else stream.once('drain', () => resolve());
      });
    },
    async close() {
      await this.flush();
    },
  };
}
