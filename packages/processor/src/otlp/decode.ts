import { decodeLogsJson, decodeTracesJson } from './decode-json';
import { decodeLogsProtobuf, decodeTracesProtobuf } from './decode-protobuf';
import type { DecodedLogs, DecodedTraces } from './types';

export type OtlpFormat = 'protobuf' | 'json';

/**
 * Decodes an ExportTraceServiceRequest. Spans with unusable ids (or values nested too deep)
 * are counted in `rejected`; a body that cannot be decoded at all throws OtlpDecodeError.
 * An empty protobuf body is a valid empty request (protobuf encodes an empty message as 0 bytes).
 */
export function decodeTraces(body: Uint8Array, format: OtlpFormat): DecodedTraces {
  return format === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body);
}

/** Decodes an ExportLogsServiceRequest; same rules as decodeTraces. */
export function decodeLogs(body: Uint8Array, format: OtlpFormat): DecodedLogs {
  return format === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(body);
}

export { OtlpDecodeError } from './errors';
