/**
 * Inflating a compressed request body in one synchronous call, for the ingest worker: the
 * receiving thread hands large compressed bodies over as they arrived (see http/body.ts
 * readBody's keepCompressedFrom), so neither the inflate nor the join of its output runs there.
 * Same limits and error codes/messages as the receiver's streaming path (http/body.ts): the
 * output is capped at maxBytes (zlib stops past it: a gzip bomb never allocates more than the
 * cap plus one output chunk) → MCPTRAIL_OTLP_BODY_TOO_LARGE (413); corrupt or truncated data →
 * MCPTRAIL_OTLP_BAD_COMPRESSION (400).
 */
import zlib from 'node:zlib';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate';

export type InflateErrorCode = 'MCPTRAIL_OTLP_BODY_TOO_LARGE' | 'MCPTRAIL_OTLP_BAD_COMPRESSION';

/** A compressed body refused while inflating; the receiver answers it like its own read errors. */
export class InflateError extends Error {
  readonly code: InflateErrorCode;
  constructor(code: InflateErrorCode, message: string) {
    super(message);
    this.name = 'InflateError';
    this.code = code;
  }
}

export const bodyTooLargeMessage = (what: string, maxBytes: number): string => `request body ${what} exceeds the limit of ${maxBytes} bytes`;

/** The client-facing reason for a zlib error (the streaming and the synchronous path give the same codes and messages). */
export const badCompressionMessage = (encoding: 'gzip' | 'deflate', err: Error & { code?: string }): string =>
  `invalid ${encoding} body: ${err.code === 'Z_BUF_ERROR' ? 'unexpected end of compressed data' : err.message}`;

/** Throws InflateError; never returns more than maxBytes. */
export function inflateBody(body: Uint8Array, encoding: 'gzip' | 'deflate', maxBytes: number): Buffer {
  const options = { maxOutputLength: maxBytes, chunkSize: 64 * 1024 };
  try {
    return encoding === 'gzip' ? zlib.gunzipSync(body, options) : zlib.inflateSync(body, options);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new InflateError('MCPTRAIL_OTLP_BODY_TOO_LARGE', bodyTooLargeMessage('size after decompression', maxBytes));
    throw new InflateError('MCPTRAIL_OTLP_BAD_COMPRESSION', badCompressionMessage(encoding, e));
  }
}

export const INFLATE_ERROR_CODES: ReadonlySet<string> = new Set<InflateErrorCode>(['MCPTRAIL_OTLP_BODY_TOO_LARGE', 'MCPTRAIL_OTLP_BAD_COMPRESSION']);
