import { createReceiver, type ReceiverOptions } from '../../src/http/receiver';
import { silentLogger } from '../../src/logger';
import type { DecodedLogs, DecodedTraces, IngestResult, IngestSink } from '../../src/otlp/types';

/** The consumer under the test's control: records every batch, and can be told to fail the next calls. */
export class RecordingSink implements IngestSink {
  traceBatches: DecodedTraces[] = [];
  logBatches: DecodedLogs[] = [];
  /** When set, the next sink call throws it (once per entry). */
  failures: Error[] = [];
  /** Rejections the sink itself adds (becomes part of partial_success). */
  extraRejected = 0;

  async traces(batch: DecodedTraces): Promise<IngestResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.traceBatches.push(batch);
    return { rejected: this.extraRejected, message: this.extraRejected ? 'sink refused some' : null };
  }

  async logs(batch: DecodedLogs): Promise<IngestResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.logBatches.push(batch);
    return { rejected: 0, message: null };
  }

  get receivedSpans() {
    return this.traceBatches.flatMap((b) => b.spans);
  }

  get receivedLogs() {
    return this.logBatches.flatMap((b) => b.logs);
  }
}

export async function startReceiver(extra: Partial<ReceiverOptions> = {}) {
  const sink = (extra.sink as RecordingSink | undefined) ?? new RecordingSink();
  const receiver = createReceiver({ host: '127.0.0.1', port: 0, logger: silentLogger, ...extra, sink });
  const { url, port } = await receiver.listen();
  return { receiver, sink, url, port };
}

export interface PostOptions {
  contentType?: string | null;
  encoding?: string;
  headers?: Record<string, string>;
  method?: string;
}

/** A plain fetch POST; returns status, headers and the raw body. */
export async function post(url: string, body: Uint8Array | string, opts: PostOptions = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/x-protobuf';
  if (opts.encoding) headers['content-encoding'] = opts.encoding;
  const res = await fetch(url, { method: opts.method ?? 'POST', headers, body: opts.method === 'GET' ? undefined : body });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8') };
}
