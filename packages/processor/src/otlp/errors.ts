/**
 * Error codes of the OTLP decoders. Stable: never renamed or reused.
 * Each carries the HTTP status the receiver answers with (gRPC maps the same codes later).
 */
export const OTLP_ERRORS = {
  MCPTRAIL_OTLP_DECODE: { status: 400, grpc: 3, summary: 'the body is not a valid OTLP protobuf or JSON message' },
} as const;

export type OtlpErrorCode = keyof typeof OTLP_ERRORS;

/** Thrown by decodeTraces/decodeLogs when the whole body is unusable. The message names the problem and where. */
export class OtlpDecodeError extends Error {
  readonly code: OtlpErrorCode;
  readonly statusCode: number;
  constructor(message: string, code: OtlpErrorCode = 'MCPTRAIL_OTLP_DECODE') {
    super(message);
    this.name = 'OtlpDecodeError';
    this.code = code;
    this.statusCode = OTLP_ERRORS[code].status;
  }
}
