/**
 * OTLP data after decoding, independent of the wire format (protobuf or JSON) and of
 * the transport (HTTP or gRPC). Everything downstream of the receivers (normalizer,
 * audit trail, detection) works on these shapes only.
 *
 * Ids are lowercase hex (trace 32 chars, span 16 chars) or null when absent/all-zero.
 * Times are nanoseconds since the epoch as bigint (OTLP fixed64; JSON may send strings or numbers).
 */

/** An OTLP AnyValue as a plain JS value: kvlist → object, array → array, bytes → Uint8Array, int → number|bigint (bigint only beyond 2^53). */
export type OtlpValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | OtlpValue[]
  | { [key: string]: OtlpValue };

export type OtlpAttributes = Record<string, OtlpValue>;

export interface OtlpResource {
  attributes: OtlpAttributes;
}

export interface OtlpScope {
  name: string;
  version: string;
}

/** OTLP SpanKind numbers. */
export const SPAN_KIND = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
/** OTLP Status.code numbers. */
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface OtlpSpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: OtlpAttributes;
}

export interface OtlpSpan {
  resource: OtlpResource;
  scope: OtlpScope;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpAttributes;
  events: OtlpSpanEvent[];
  status: { code: number; message: string };
}

export interface OtlpLogRecord {
  resource: OtlpResource;
  scope: OtlpScope;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: OtlpValue;
  attributes: OtlpAttributes;
  /** OTLP LogRecord.event_name (field 12), falling back to the `event.name` attribute. */
  eventName: string | null;
  traceId: string | null;
  spanId: string | null;
  flags: number;
}

/**
 * Who sent a request, as the receiver established it (never read from the payload): the
 * credential and what it may assert, and the connection's peer address.
 */
export interface EmitterIdentity {
  /** Credential id; null when the listener runs without auth. */
  credential: string | null;
  /** Peer address of the connection (or of a trusted proxy's X-Forwarded-For). */
  address: string | null;
  /** Globs of the service.name values this credential may assert (`['*']`: any). */
  services: readonly string[];
  /** Globs of the enduser.id values this credential may assert. */
  actors: readonly string[];
}

/** What a receiver hands to ingestion: decoded items plus the items the decoder already refused. */
export interface DecodedTraces {
  /** Set by the receiver; absent when ingestion is driven directly (tests, replay). */
  emitter?: EmitterIdentity;
  spans: OtlpSpan[];
  /** Spans present in the request but unusable (bad id lengths, …), with the first reason. */
  rejected: number;
  rejectReason: string | null;
}

export interface DecodedLogs {
  emitter?: EmitterIdentity;
  logs: OtlpLogRecord[];
  rejected: number;
  rejectReason: string | null;
}

/**
 * Ingestion's answer. The receiver replies 200 only after this promise resolves,
 * which ingestion resolves only once the data is durably stored.
 * `rejected`/`message` become OTLP `partial_success`.
 */
export interface IngestResult {
  rejected: number;
  message: string | null;
}

export interface IngestSink {
  traces(batch: DecodedTraces): Promise<IngestResult>;
  logs(batch: DecodedLogs): Promise<IngestResult>;
}
