import { CodedError } from '../coded-error';

/** Error codes of the sinks. Delivery failures are logged with these codes, never thrown into ingestion. */
export const SINK_ERROR_CODES = {
  MCPTRAIL_ERR_SINK_FILE_OPEN: 'the file sink cannot open its file for appending',
  MCPTRAIL_ERR_SINK_FILE_WRITE: 'a write or fsync of the file sink failed (the batch is logged as lost)',
  MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY: 'a webhook delivery failed after its last attempt (or the queue overflowed) and was dropped',
  MCPTRAIL_ERR_SINK_OTLP_EXPORT: 'an OTLP logs export failed after the exporter’s own retries',
} as const;

export type SinkErrorCode = keyof typeof SINK_ERROR_CODES;

export class SinkError extends CodedError<SinkErrorCode> {}
