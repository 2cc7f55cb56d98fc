import { decodeLogs, decodeTraces, type OtlpFormat } from './decode';
import type { OtlpSignal } from './encode-response';
import type { BodyEncoding } from './inflate';
import type { EmitterIdentity, IngestResult, IngestSink } from './types';

/** What an export request came to: the total rejected (decoder's plus sink's) and why. */
export interface ExportOutcome {
  rejected: number;
  message: string | null;
}

/**
 * One export request, transport-independent: decode, hand the usable items to the sink
 * (awaiting its commit), and add up rejections for `partial_success`. Metrics are accepted
 * and dropped: the trail is built from spans and log records. Throws OtlpDecodeError for an
 * undecodable body and whatever the sink throws (OverloadError, …).
 */
export async function ingestExport(
  sink: IngestSink,
  signal: OtlpSignal,
  format: OtlpFormat,
  body: Uint8Array,
  emitter?: EmitterIdentity,
): Promise<ExportOutcome> {
  if (signal === 'metrics') return { rejected: 0, message: null };
  let rejected: number;
  let message: string | null;
  let result: IngestResult | null = null;
  if (signal === 'traces') {
    const batch = decodeTraces(body, format);
    if (emitter) batch.emitter = emitter;
    rejected = batch.rejected;
    message = batch.rejectReason;
    if (batch.spans.length > 0) result = await sink.traces(batch);
  } else {
    const batch = decodeLogs(body, format);
    if (emitter) batch.emitter = emitter;
    rejected = batch.rejected;
    message = batch.rejectReason;
    if (batch.logs.length > 0) result = await sink.logs(batch);
  }
  if (result) {
    rejected += result.rejected;
    if (result.message) message = message ? `${message}; ${result.message}` : result.message;
  }
  return { rejected, message };
}

/** How a receiver hands one export request over: ingestExport into a sink, or the ingest worker path. */
/**
 * `encoding` other than 'identity' (only with ReceiverOptions.compressedExportMinBytes): `body` holds the
 * compressed bytes, to be inflated capped at the receiver's maxBodyBytes (otlp/inflate.ts; throws InflateError).
 */
export type ExportHandler = (
  signal: OtlpSignal,
  format: OtlpFormat,
  body: Uint8Array,
  emitter?: EmitterIdentity,
  encoding?: BodyEncoding,
) => Promise<ExportOutcome>;
