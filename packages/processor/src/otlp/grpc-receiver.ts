import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { type Authenticator, createAuthenticator, requireRole } from '../http/auth';
import { createPeerResolver } from '../http/peer';
import { OverloadError, ReceiverError } from '../http/errors';
import type { Logger } from '../logger';
import { encodeExportResponse, type OtlpSignal } from './encode-response';
import { OtlpDecodeError } from './errors';
import { type ExportHandler, ingestExport } from './ingest';
import { otlpRoot, otlpType } from './schema';
import type { EmitterIdentity, IngestSink } from './types';

/** Defaults match an OpenTelemetry SDK's default OTLP/gRPC endpoint (localhost:4317). */
export const GRPC_RECEIVER_DEFAULTS = { host: '127.0.0.1', port: 4317, maxMessageBytes: 8 * 1024 * 1024, closeGraceMs: 10_000 } as const;

export interface GrpcReceiverOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 4317 */
  port?: number;
  /** Cap on one message, also after gzip decompression (grpc-js enforces it); past it → RESOURCE_EXHAUSTED. @default 8 MiB */
  maxMessageBytes?: number;
  /** Who may call (the HTTP receiver's Authenticator: same credentials, write role needed). */
  auth?: Authenticator;
  /** Shorthand for one write credential `token`. @default null */
  bearerToken?: string | null;
  /** Serve TLS with this PEM certificate chain and key; `clientCaFile` turns on mTLS. @default null */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string | null } | null;
  /** gRPC has no X-Forwarded-For: only the connection's peer is recorded. */
  sink: IngestSink;
  /** Replaces decode-then-sink for each call (see the HTTP receiver's option). */
  exporter?: ExportHandler;
  logger: Logger;
  /** @default 10000 */
  closeGraceMs?: number;
}

export interface GrpcReceiver {
  listen(): Promise<{ address: string; port: number }>;
  /** Stops accepting calls, lets calls in flight finish, then closes (forcibly after closeGraceMs). */
  close(): Promise<void>;
}

const SERVICES: Array<{ signal: OtlpSignal; service: string }> = [
  { signal: 'traces', service: 'opentelemetry.proto.collector.trace.v1.TraceService' },
  { signal: 'logs', service: 'opentelemetry.proto.collector.logs.v1.LogsService' },
  { signal: 'metrics', service: 'opentelemetry.proto.collector.metrics.v1.MetricsService' },
];

const identity = (b: Buffer): Buffer => b;

/**
 * A service definition whose (de)serializers pass bytes through: the request goes to the same
 * fast decoder as OTLP/HTTP protobuf, the response is encoded from the vendored protos.
 * The method path comes from the vendored service definition.
 */
function exportDefinition(service: string): grpc.ServiceDefinition {
  const method = otlpRoot().lookupService(service).methods.Export;
  if (!method) throw new Error(`vendored proto lacks ${service}.Export`);
  return {
    Export: {
      path: `/${service}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

/** google.rpc.Status with a RetryInfo detail, as `grpc-status-details-bin` (what Collector exporters read). */
function retryDetails(code: number, message: string, seconds: number): Buffer {
  const retryInfo = otlpType('google.rpc.RetryInfo');
  const status = otlpType('google.rpc.Status');
  const info = retryInfo.encode(retryInfo.fromObject({ retryDelay: { seconds, nanos: 0 } })).finish();
  // protobufjs's bundled google.protobuf.Any keeps its snake_case field names.
  const body = { code, message, details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: info }] };
  return Buffer.from(status.encode(status.fromObject(body)).finish());
}

/**
 * OTLP/gRPC: the three collector services' Export, for senders that only speak gRPC (the
 * Collector's loadbalancing exporter). Same decoder, sink, auth and partial_success rules
 * as OTLP/HTTP; errors map to gRPC codes: INVALID_ARGUMENT for an undecodable message,
 * UNAUTHENTICATED, RESOURCE_EXHAUSTED/UNAVAILABLE with RetryInfo under overload, INTERNAL.
 */
export function createGrpcReceiver(opts: GrpcReceiverOptions): GrpcReceiver {
  const host = opts.host ?? GRPC_RECEIVER_DEFAULTS.host;
  const port = opts.port ?? GRPC_RECEIVER_DEFAULTS.port;
  const maxMessageBytes = opts.maxMessageBytes ?? GRPC_RECEIVER_DEFAULTS.maxMessageBytes;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes <= 0) {
    throw new TypeError(`grpc receiver maxMessageBytes must be a positive integer; got ${maxMessageBytes}`);
  }
  const closeGraceMs = opts.closeGraceMs ?? GRPC_RECEIVER_DEFAULTS.closeGraceMs;
  const clientCa = opts.tls?.clientCaFile ?? null;
  const auth =
    opts.auth ??
    createAuthenticator(opts.bearerToken ? [{ id: 'token', role: 'write', token: opts.bearerToken }] : [], { clientCerts: clientCa !== null });
  const peerOf = createPeerResolver([]);
  const log = opts.logger.child({ component: 'grpc-receiver' });
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(
        clientCa ? readTls(clientCa, 'clientCaFile') : null,
        [{ cert_chain: readTls(opts.tls.certFile, 'certFile'), private_key: readTls(opts.tls.keyFile, 'keyFile') }],
        clientCa !== null,
      )
    : grpc.ServerCredentials.createInsecure();

  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': 1024 * 1024,
  });

  for (const { signal, service } of SERVICES) {
    server.addService(exportDefinition(service), {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        handle(signal, call).then(
          (response) => callback(null, response),
          (err: grpc.ServiceError | Partial<grpc.StatusObject>) => callback(err),
        );
      },
    });
  }

  async function handle(signal: OtlpSignal, call: grpc.ServerUnaryCall<Buffer, Buffer>): Promise<Buffer> {
    const header = call.metadata.get('authorization')[0];
    const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN ?? null;
    const principal = auth.authenticate(typeof header === 'string' ? header : undefined, typeof cn === 'string' ? cn : null);
    const denied = principal instanceof ReceiverError ? principal : requireRole(principal, 'write');
    if (denied) {
      throw { code: denied.statusCode === 401 ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED, details: denied.message };
    }
    const caller = principal as Exclude<typeof principal, ReceiverError>;
    const emitter: EmitterIdentity = { credential: caller.id, address: peerOf(peerAddress(call.getPeer()), undefined), services: caller.services, actors: caller.actors };
    try {
      const { rejected, message } = await (opts.exporter ?? ((sg, f, b, e) => ingestExport(opts.sink, sg, f, b, e)))(signal, 'protobuf', call.request, emitter);
      if (rejected > 0) log.debug('items rejected', { signal, rejected, reason: message });
      return encodeExportResponse(signal, 'protobuf', rejected, message);
    } catch (err) {
      if (err instanceof OtlpDecodeError) {
        log.debug('undecodable request', { signal, code: err.code, reason: err.message });
        throw { code: grpc.status.INVALID_ARGUMENT, details: err.message };
      }
      if (err instanceof OverloadError) {
        const seconds = Math.max(1, Math.ceil(err.retryAfterSeconds));
        const code = err.status === 429 ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE;
        const details = `ingestion is ${err.status === 429 ? 'throttled' : 'unavailable'}; retry after ${seconds}s`;
        log.warn('ingestion overloaded; asking the client to retry', { signal, code, retryAfterSeconds: seconds });
        const metadata = new grpc.Metadata();
        metadata.set('grpc-status-details-bin', retryDetails(code, details, seconds));
        throw { code, details, metadata };
      }
      log.error('storing the request failed', { signal, err });
      throw { code: grpc.status.INTERNAL, details: 'internal error while storing the data; see the processor log' };
    }
  }

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, bound) => {
          if (err) return reject(err);
          const address = `${host.includes(':') ? `[${host}]` : host}:${bound}`;
          log.info('OTLP/gRPC receiver listening', { address, tls: Boolean(opts.tls) });
          resolve({ address, port: bound });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), closeGraceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

function readTls(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ReceiverError('MCPTRAIL_HTTP_TLS_FILES', `tls.${field} ${JSON.stringify(file)} cannot be read: ${code}`);
  }
}

/** grpc-js peers look like `ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000` or `127.0.0.1:5000`. */
function peerAddress(peer: string): string | undefined {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracket = /^\[([^\]]+)\]/.exec(p);
  if (bracket) return bracket[1];
  const colon = p.lastIndexOf(':');
  return colon > 0 && p.indexOf(':') === colon ? p.slice(0, colon) : p || undefined;
}
