/**
 * The private parts of the OTLP/HTTP exporters (`@opentelemetry/otlp-exporter-base` 0.221, the line
 * `register` pins) that the spool needs, named in one place. Each accessor checks the shape and
 * returns undefined when it is not there (another version, or the gRPC exporter): the spool then
 * stays off for that exporter and says so.
 * Source: otlp-exporter-base/src/{OTLPExporterBase,otlp-export-delegate,retrying-transport}.ts and
 * transport/http-exporter-transport.ts.
 */
export interface TransportResponse {
  status: 'success' | 'failure' | 'retryable';
  error?: Error;
}
export interface ExportTransport {
  send(data: Uint8Array, timeoutMillis: number): Promise<TransportResponse>;
  shutdown(): void;
}
interface RetryingTransport extends ExportTransport {
  _transport: ExportTransport;
  retry: unknown;
}
interface HttpTransport extends ExportTransport {
  _utils: { agent?: { destroy(): void } } | null;
  _parameters?: { url?: string };
}
interface ExportDelegate {
  _transport: ExportTransport;
  _serializer: { serializeRequest(items: unknown): Uint8Array | undefined };
  _timeout: number;
}

export interface OtlpHandle {
  /** Where the exporter sends: spooled requests are replayed only to the backend they were meant for. */
  url: string;
  /** The bytes the exporter would POST for these items (OTLP protobuf or JSON, as configured). */
  serialize(items: unknown[]): Uint8Array | undefined;
  /** One POST, no retries: the spool is the retry. */
  send(data: Uint8Array): Promise<TransportResponse>;
  /** Destroy the open sockets so nothing in flight keeps the process alive. */
  abortInFlight(): void;
}

function delegateOf(exporter: unknown): ExportDelegate | undefined {
  const delegate = (exporter as { _delegate?: Partial<ExportDelegate> } | undefined)?._delegate;
  if (
    delegate === undefined ||
    typeof delegate._transport?.send !== 'function' ||
    typeof delegate._serializer?.serializeRequest !== 'function'
  ) {
    return undefined;
  }
  return delegate as ExportDelegate;
}

/**
 * Take the exporter's retries out (failed batches go to the spool and are replayed from there; a
 * retry timer would hold a finished process open for up to the export timeout) and return a handle
 * on its serializer and transport. Undefined when the exporter is not an OTLP/HTTP exporter of this line.
 */
export function takeOverOtlpExporter(exporter: unknown): OtlpHandle | undefined {
  const delegate = delegateOf(exporter);
  if (delegate === undefined) return undefined;
  const outer = delegate._transport as Partial<RetryingTransport>;
  if (outer.retry !== undefined && typeof outer._transport?.send === 'function') delegate._transport = outer._transport;
  const transport = delegate._transport as Partial<HttpTransport>;
  const url = transport._parameters?.url;
  if (typeof url !== 'string') return undefined;
  return {
    url,
    serialize: (items) => delegate._serializer.serializeRequest(items),
    send: (data) => delegate._transport.send(data, delegate._timeout),
    abortInFlight: () => {
      try {
        transport._utils?.agent?.destroy();
      } catch {
        // Nothing open.
      }
    },
  };
}
