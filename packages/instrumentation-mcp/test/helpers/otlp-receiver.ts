import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decodeOtlpProtobuf } from './otlp-protobuf';

export type OtlpPath = '/v1/traces' | '/v1/logs' | '/v1/metrics';
export const OTLP_PATHS: readonly OtlpPath[] = ['/v1/traces', '/v1/logs', '/v1/metrics'];

/** One HTTP request as received: raw bytes (after Content-Encoding), kept for leak checks. */
export interface ReceivedRequest {
  path: string;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The OTLP request as a plain object (JSON bodies parsed, protobuf bodies decoded). */
  decoded?: OtlpExportRequest;
}

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
};
type KeyValue = { key: string; value?: AnyValue };
interface OtlpExportRequest {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: RawSpan[] }> }>;
  resourceLogs?: Array<{ resource?: { attributes?: KeyValue[] }; scopeLogs?: Array<{ scope?: { name?: string }; logRecords?: RawLog[] }> }>;
  resourceMetrics?: Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics?: Array<{ scope?: { name?: string }; metrics?: RawMetric[] }> }>;
}
interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number | string;
  startTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  events?: Array<{ name: string; attributes?: KeyValue[] }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number | string; message?: string };
}
interface RawLog {
  traceId?: string;
  spanId?: string;
  eventName?: string;
  severityText?: string;
  body?: AnyValue;
  attributes?: KeyValue[];
}
interface RawMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints?: Array<{ asInt?: string | number; asDouble?: number; attributes?: KeyValue[] }> };
  histogram?: { dataPoints?: Array<{ count?: string | number; attributes?: KeyValue[] }> };
}

export interface FlatSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind number: 2 SERVER, 3 CLIENT, 1 INTERNAL. */
  kind: number;
  /** Start time in nanoseconds since the epoch. */
  start: bigint;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  links: Array<{ traceId: string; spanId: string }>;
  statusCode: number;
  resource: Record<string, unknown>;
  scope: string;
}
export interface FlatLog {
  traceId: string;
  spanId: string;
  eventName: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}
export interface FlatMetric {
  name: string;
  resource: Record<string, unknown>;
  points: Array<{ attributes: Record<string, unknown>; value: number }>;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

/**
 * A tiny OTLP/HTTP receiver on 127.0.0.1 (ephemeral port): it keeps every body,
 * decompressed, and answers 200 `{}` like a collector. Tests assert on what it got.
 */
export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private waiters: Array<() => void> = [];
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        () => {
          res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
          // An empty protobuf message and an empty JSON object are both a full success.
          res.end(String(req.headers['content-type']).includes('json') ? '{}' : '');
        },
        (error: unknown) => {
          res.writeHead(400, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every byte received, concatenated: the input of leak checks. */
  allBytes(): Buffer {
    return Buffer.concat(this.requests.flatMap((r) => [r.body, Buffer.from(JSON.stringify(r.headers))]));
  }

  spans(): FlatSpan[] {
    const out: FlatSpan[] = [];
    for (const request of this.requests) {
      for (const rs of request.decoded?.resourceSpans ?? []) {
        const resource = attributesOf(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) {
            out.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: kindNumber(span.kind),
              start: BigInt(String(span.startTimeUnixNano ?? 0)),
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
              links: (span.links ?? []).map((l: { traceId: string; spanId: string }) => ({ traceId: l.traceId, spanId: l.spanId })),
              statusCode: statusNumber(span.status?.code),
              resource,
              scope: ss.scope?.name ?? '',
            });
          }
        }
      }
    }
    return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  logs(): FlatLog[] {
    const out: FlatLog[] = [];
    for (const request of this.requests) {
      for (const rl of request.decoded?.resourceLogs ?? []) {
        const resource = attributesOf(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const log of sl.logRecords ?? []) {
            out.push({
              traceId: log.traceId ?? '',
              spanId: log.spanId ?? '',
              eventName: log.eventName ?? '',
              body: log.body === undefined ? undefined : anyValueOf(log.body),
              attributes: attributesOf(log.attributes),
              resource,
            });
          }
        }
      }
    }
    return out;
  }

  metrics(): FlatMetric[] {
    const out: FlatMetric[] = [];
    for (const request of this.requests) {
      for (const rm of request.decoded?.resourceMetrics ?? []) {
        const resource = attributesOf(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) {
          for (const metric of sm.metrics ?? []) {
            const points = [
              ...(metric.sum?.dataPoints ?? []).map((p) => ({
                attributes: attributesOf(p.attributes),
                value: Number(p.asInt ?? p.asDouble ?? 0),
              })),
              ...(metric.histogram?.dataPoints ?? []).map((p) => ({
                attributes: attributesOf(p.attributes),
                value: Number(p.count ?? 0),
              })),
            ];
            out.push({ name: metric.name, resource, points });
          }
        }
      }
    }
    return out;
  }

  /** Resolve once `predicate` holds (checked on every request); reject after `timeoutMillis`. */
  waitFor(predicate: () => boolean, timeoutMillis: number, what = 'telemetry'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMillis} ms waiting for ${what}; got ${this.summary()}`));
      }, timeoutMillis);
      this.waiters.push(check);
    });
  }

  summary(): string {
    return `${this.requests.length} requests, ${this.spans().length} spans, ${this.logs().length} log records, ${this.metrics().length} metrics`;
  }

  private async handle(req: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip') body = gunzipSync(body);
    else if (encoding === 'deflate') body = inflateSync(body);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const contentType = String(req.headers['content-type'] ?? '');
    const received: ReceivedRequest = { path, contentType, headers: { ...req.headers }, body };
    if ((OTLP_PATHS as readonly string[]).includes(path)) {
      received.decoded = contentType.includes('json')
        ? (JSON.parse(body.toString('utf8')) as OtlpExportRequest)
        : (decodeOtlpProtobuf(path as OtlpPath, body) as OtlpExportRequest);
    }
    this.requests.push(received);
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = kv.value === undefined ? undefined : anyValueOf(kv.value);
  return out;
}

function anyValueOf(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValueOf);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue;
  return undefined;
}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
function kindNumber(kind: number | string): number {
  return typeof kind === 'number' ? kind : (KIND_NAMES[kind] ?? 0);
}
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
function statusNumber(code: number | string | undefined): number {
  if (code === undefined) return 0;
  return typeof code === 'number' ? code : (STATUS_NAMES[code] ?? 0);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  return new OtlpReceiver().start();
}
