import { OTLP_ERRORS, type OtlpErrorCode } from '../otlp/errors';

/**
 * Error codes of the OTLP/HTTP receiver, each with its HTTP status and the gRPC status code
 * carried in the google.rpc.Status body (the decoder's codes live in otlp/errors.ts).
 * Stable: never renamed or reused.
 */
export const HTTP_ERRORS = {
  MCPTRAIL_OTLP_BAD_COMPRESSION: { status: 400, grpc: 3, summary: 'the body is not valid gzip/deflate data' },
  MCPTRAIL_OTLP_UNAUTHORIZED: { status: 401, grpc: 16, summary: 'missing or wrong bearer token' },
  MCPTRAIL_HTTP_FORBIDDEN: { status: 403, grpc: 7, summary: 'the credential lacks the role for this route (a write token on the query API, a read token on OTLP), or a foreign Origin' },
  MCPTRAIL_OTLP_NOT_FOUND: { status: 404, grpc: 5, summary: 'no such path' },
  MCPTRAIL_OTLP_METHOD_NOT_ALLOWED: { status: 405, grpc: 12, summary: 'OTLP paths accept POST only' },
  MCPTRAIL_HTTP_MISDIRECTED: { status: 421, grpc: 7, summary: 'the Host header names a host this processor does not serve (DNS-rebinding guard; receiver.allowed_hosts)' },
  MCPTRAIL_OTLP_REQUEST_TIMEOUT: { status: 408, grpc: 4, summary: 'the client sent the body too slowly' },
  MCPTRAIL_OTLP_BODY_TOO_LARGE: { status: 413, grpc: 8, summary: 'the body exceeds maxBodyBytes (compressed or after decompression)' },
  MCPTRAIL_OTLP_UNSUPPORTED_MEDIA_TYPE: { status: 415, grpc: 3, summary: 'Content-Type is not application/x-protobuf or application/json' },
  MCPTRAIL_OTLP_UNSUPPORTED_ENCODING: { status: 415, grpc: 3, summary: 'Content-Encoding is not gzip, deflate or identity' },
  MCPTRAIL_OTLP_THROTTLED: { status: 429, grpc: 8, summary: 'ingestion is behind; retry after Retry-After seconds' },
  MCPTRAIL_OTLP_INTERNAL: { status: 500, grpc: 13, summary: 'the data could not be stored; details are in the processor log' },
  MCPTRAIL_OTLP_UNAVAILABLE: { status: 503, grpc: 14, summary: 'ingestion is unavailable; retry after Retry-After seconds' },
  MCPTRAIL_HTTP_TLS_FILES: { status: 0, grpc: 0, summary: 'the TLS certificate or key file cannot be read (start-up error)' },
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

const RECEIVER_ERRORS = { ...OTLP_ERRORS, ...HTTP_ERRORS };

/** An error the receiver answers with; `message` is safe to send to the client (names the problem, echoes no data). */
export class ReceiverError extends Error {
  readonly code: HttpErrorCode | OtlpErrorCode;
  readonly statusCode: number;
  readonly grpcCode: number;
  constructor(code: HttpErrorCode | OtlpErrorCode, message: string) {
    super(message);
    this.name = 'ReceiverError';
    this.code = code;
    this.statusCode = RECEIVER_ERRORS[code].status;
    this.grpcCode = RECEIVER_ERRORS[code].grpc;
  }
}

/**
 * Thrown by an IngestSink when its queue is full: the receiver answers 429 (throttled) or
 * 503 (unavailable) with Retry-After, which OTLP exporters honour before retrying.
 */
export class OverloadError extends Error {
  constructor(
    public retryAfterSeconds: number,
    public status: 429 | 503 = 503,
  ) {
    super(`ingestion overloaded; retry after ${retryAfterSeconds}s`);
    this.name = 'OverloadError';
  }
}
