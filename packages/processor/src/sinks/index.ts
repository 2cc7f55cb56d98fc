export { SINK_ERROR_CODES, SinkError, type SinkErrorCode } from './errors';
export { createFileSink, type FileSinkOptions } from './file';
export { alertLine, recordLine } from './ndjson';
export { createOtlpLogsSink, type OtlpLogsSinkOptions } from './otlp-logs';
export { createStdoutSink, type StdoutSinkOptions } from './stdout';
export type { Sink, SinkStats } from './types';
export { createWebhookSink, SIGNATURE_HEADER, signBody, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS, type WebhookSink, type WebhookSinkOptions, type WebhookVerification } from './webhook';
