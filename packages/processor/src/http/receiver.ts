import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger';
import type { OtlpFormat } from '../otlp/decode';
import { CONTENT_TYPE, encodeExportResponse, encodeStatus, type OtlpSignal } from '../otlp/encode-response';
import { OtlpDecodeError } from '../otlp/errors';
import { type BodyEncoding, InflateError } from '../otlp/inflate';
import { type ExportHandler, ingestExport } from '../otlp/ingest';
import type { EmitterIdentity, IngestSink } from '../otlp/types';
import { type Authenticator, bearerChallenge, clientCertCn, createAuthenticator, type Principal, requireRole } from './auth';
import { drainRequest, parseContentEncoding, readBody } from './body';
import { parseContentType, responseFormatFor } from './content-type';
import { OverloadError, ReceiverError } from './errors';
import { createHostPolicy } from './host-check';
import { createPeerResolver } from './peer';

export { OverloadError, ReceiverError } from './errors';

/** What the receiver established about a request before any route sees it. */
export interface RequestContext {
  principal: Principal;
  /** The caller's address (connection peer, or a trusted proxy's X-Forwarded-For). */
  peer: string | null;
}

/**
 * A read-side route (query API, console): mounted through ReceiverOptions.api and reached only
 * after the Host/Origin checks and with a principal holding the `read` role. Return false
 * to let the receiver answer 404.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: RequestContext) => Promise<boolean>;

/** Defaults match an OpenTelemetry SDK's default OTLP/HTTP endpoint (http://localhost:4318). */
export const RECEIVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 4318,
  maxBodyBytes: 8 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
  closeGraceMs: 10_000,
} as const;

export interface ReceiverTimeouts {
  /** Time to receive the request headers. @default 10000 */
  headersMs?: number;
  /** Time to receive the request body once the headers are in; a slower client gets 408 and the connection closes. @default 30000 */
  requestMs?: number;
  /** Idle keep-alive connections are closed after this. @default 30000 */
  keepAliveMs?: number;
  /** close() waits this long for requests in flight before cutting connections. @default 10000 */
  closeGraceMs?: number;
}

export interface ReceiverOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 4318 */
  port?: number;
  /** Cap on the body, compressed and after decompression; past it → 413. @default 8 MiB */
  maxBodyBytes?: number;
  /**
   * Who may call. Without it (and without bearerToken) every caller is anonymous with every
   * role: acceptable on loopback only (the configuration refuses anything else).
   */
  auth?: Authenticator;
  /** Shorthand for one write credential `token` (tests, simple setups). @default null */
  bearerToken?: string | null;
  /** Exact paths served without a credential (e.g. `['/healthz']` for liveness probes). @default [] */
  unauthenticatedPaths?: readonly string[];
  /** Serve HTTPS with this PEM certificate chain and key; `clientCaFile` turns on mTLS. @default null */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string | null } | null;
  /** Host names accepted besides IP literals and localhost (see host-check.ts). @default [] */
  allowedHosts?: readonly string[];
  /** Origins accepted besides the request's own. @default [] */
  allowedOrigins?: readonly string[];
  /** Peers whose X-Forwarded-For is believed (IPs or CIDRs). @default [] */
  trustedProxies?: readonly string[];
  /** Receives decoded batches; the receiver answers 200 only after it resolves. */
  sink: IngestSink;
  /** Replaces decode-then-sink for each request (service.ts: large bodies go to the ingest worker). */
  exporter?: ExportHandler;
  /**
   * With `exporter`: gzip/deflate trace and log bodies of at least this many bytes (compressed) reach it
   * still compressed, with their encoding, for it to inflate off this thread (capped at maxBodyBytes,
   * throwing InflateError). Smaller ones, metrics, and everything without `exporter` are inflated here.
   * @default never
   */
  compressedExportMinBytes?: number;
  /** Read-side routes (query API, console): see RouteHandler. */
  api?: RouteHandler;
  logger: Logger;
  timeouts?: ReceiverTimeouts;
}

export interface Receiver {
  listen(): Promise<{ url: string; port: number }>;
  /** Stops accepting, lets requests in flight finish (their sink calls included), then closes connections. */
  close(): Promise<void>;
}

/** An unauthenticated caller on an open path (/healthz): no role, no identity. */
const ANONYMOUS_OPEN: Principal = Object.freeze({ id: null, role: 'read' as const, services: [], actors: [] });

const OTLP_PATHS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

function readTlsFile(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ReceiverError('MCPTRAIL_HTTP_TLS_FILES', `tls.${field} ${JSON.stringify(file)} cannot be read: ${code}`);
  }
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`receiver ${field} must be a positive number; got ${value}`);
  return value;
}

export function createReceiver(opts: ReceiverOptions): Receiver {
  const host = opts.host ?? RECEIVER_DEFAULTS.host;
  const port = opts.port ?? RECEIVER_DEFAULTS.port;
  const maxBodyBytes = positive(opts.maxBodyBytes, RECEIVER_DEFAULTS.maxBodyBytes, 'maxBodyBytes');
  const t = opts.timeouts ?? {};
  const requestMs = positive(t.requestMs, RECEIVER_DEFAULTS.requestTimeoutMs, 'timeouts.requestMs');
  const headersMs = Math.min(positive(t.headersMs, RECEIVER_DEFAULTS.headersTimeoutMs, 'timeouts.headersMs'), requestMs);
  const keepAliveMs = positive(t.keepAliveMs, RECEIVER_DEFAULTS.keepAliveTimeoutMs, 'timeouts.keepAliveMs');
  const closeGraceMs = positive(t.closeGraceMs, RECEIVER_DEFAULTS.closeGraceMs, 'timeouts.closeGraceMs');
  const clientCa = opts.tls?.clientCaFile ?? null;
  const auth =
    opts.auth ??
    createAuthenticator(opts.bearerToken ? [{ id: 'token', role: 'write', token: opts.bearerToken }] : [], { clientCerts: clientCa !== null });
  const hosts = createHostPolicy(opts.allowedHosts, opts.allowedOrigins);
  const peerOf = createPeerResolver(opts.trustedProxies ?? []);
  const openPaths = new Set(opts.unauthenticatedPaths ?? []);
  const log = opts.logger.child({ component: 'receiver' });
  const { sink, api } = opts;
  const exportTo: ExportHandler = opts.exporter ?? ((signal, format, body, emitter) => ingestExport(sink, signal, format, body, emitter));
  let closing = false;

  // Node checks header/request timeouts on this interval (default 30 s, too coarse for short timeouts).
  const serverOptions = { connectionsCheckingInterval: Math.max(50, Math.min(1000, headersMs / 4)) };
  const server = opts.tls
    ? https.createServer({
        ...serverOptions,
        cert: readTlsFile(opts.tls.certFile, 'certFile'),
        key: readTlsFile(opts.tls.keyFile, 'keyFile'),
        // mTLS: the handshake itself refuses a client without a certificate from this CA.
        ...(clientCa ? { ca: readTlsFile(clientCa, 'clientCaFile'), requestCert: true, rejectUnauthorized: true } : {}),
      })
    : http.createServer(serverOptions);
  server.headersTimeout = headersMs;
  // Our own body timer answers 408 in the OTLP format first; Node's is the backstop.
  server.requestTimeout = requestMs * 2;
  server.keepAliveTimeout = keepAliveMs;

  function send(res: ServerResponse, status: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    if (closing) headers.connection = 'close';
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(body.length), ...headers });
    res.end(body);
  }

  /** Answers with google.rpc.Status in the request's format; drains an unread body first so keep-alive survives. */
  async function sendError(
    req: IncomingMessage,
    res: ServerResponse,
    format: OtlpFormat,
    err: ReceiverError,
    extraHeaders: Record<string, string> = {},
    bodyConsumed = false,
  ): Promise<void> {
    const drained = bodyConsumed || (await drainRequest(req, maxBodyBytes, requestMs));
    const headers: Record<string, string> = { 'mcptrail-error-code': err.code, ...extraHeaders };
    if (!drained) headers.connection = 'close';
    send(res, err.statusCode, CONTENT_TYPE[format], encodeStatus(format, err.grpcCode, err.message), headers);
  }

  async function handleOtlp(req: IncomingMessage, res: ServerResponse, signal: OtlpSignal, path: string, emitter: EmitterIdentity): Promise<void> {
    const fallbackFormat = responseFormatFor(req.headers['content-type']);
    if (req.method !== 'POST') {
      const err = new ReceiverError('MCPTRAIL_OTLP_METHOD_NOT_ALLOWED', `method ${req.method} not allowed on ${path}; use POST`);
      return sendError(req, res, fallbackFormat, err, { allow: 'POST' });
    }
    let format: OtlpFormat;
    let body: Buffer;
    let encoding: BodyEncoding;
    try {
      format = parseContentType(req.headers['content-type']);
      const keepCompressedFrom = opts.exporter && signal !== 'metrics' ? opts.compressedExportMinBytes : undefined;
      const read = await readBody(req, parseContentEncoding(req.headers['content-encoding']), maxBodyBytes, requestMs, keepCompressedFrom);
      if (read.error) {
        log.debug('request body refused', { signal, code: read.error.code, reason: read.error.message });
        return sendError(req, res, format, read.error, read.drained ? {} : { connection: 'close' }, true);
      }
      body = read.body as Buffer;
      encoding = read.encoding;
    } catch (err) {
      if (err instanceof ReceiverError) return sendError(req, res, fallbackFormat, err);
      throw err;
    }
    try {
      const { rejected, message } = await exportTo(signal, format, body, emitter, encoding);
      if (rejected > 0) log.debug('items rejected', { signal, rejected, reason: message });
      send(res, 200, CONTENT_TYPE[format], encodeExportResponse(signal, format, rejected, message));
    } catch (err) {
      if (err instanceof InflateError) {
        // A compressed body inflated by the exporter: answered as the streaming path answers it.
        log.debug('request body refused', { signal, code: err.code, reason: err.message });
        return sendError(req, res, format, new ReceiverError(err.code, err.message), {}, true);
      }
      if (err instanceof OtlpDecodeError) {
        log.debug('undecodable request', { signal, code: err.code, reason: err.message });
        return sendError(req, res, format, new ReceiverError(err.code, err.message), {}, true);
      }
      if (err instanceof OverloadError) {
        const seconds = Math.max(1, Math.ceil(err.retryAfterSeconds));
        const code = err.status === 429 ? 'MCPTRAIL_OTLP_THROTTLED' : 'MCPTRAIL_OTLP_UNAVAILABLE';
        log.warn('ingestion overloaded; asking the client to retry', { signal, status: err.status, retryAfterSeconds: seconds });
        const message = `ingestion is ${err.status === 429 ? 'throttled' : 'unavailable'}; retry after ${seconds}s`;
        return sendError(req, res, format, new ReceiverError(code, message), { 'retry-after': String(seconds) }, true);
      }
      log.error('storing the request failed', { signal, err });
      const internal = new ReceiverError('MCPTRAIL_OTLP_INTERNAL', 'internal error while storing the data; see the processor log');
      return sendError(req, res, format, internal, {}, true);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://receiver.invalid');
    } catch {
      const err = new ReceiverError('MCPTRAIL_OTLP_NOT_FOUND', 'malformed request target');
      return sendError(req, res, 'json', err);
    }
    const signal = OTLP_PATHS[url.pathname];
    const format = responseFormatFor(req.headers['content-type']);
    const principal = auth.authenticate(req.headers.authorization, clientCertCn(req));
    const open = openPaths.has(url.pathname);
    if (principal instanceof ReceiverError && !open) {
      log.debug('unauthenticated request', { path: url.pathname, code: principal.code });
      const challenge: Record<string, string> = principal.statusCode === 401 ? { 'www-authenticate': bearerChallenge(principal) } : {};
      return sendError(req, res, format, principal, challenge);
    }
    const caller = principal instanceof ReceiverError ? ANONYMOUS_OPEN : principal;
    // Host/Origin: always on the read side; on OTLP only when no credential is required,
    // since then the Host is all that tells a rebinding page from a local exporter.
    if (!signal || !auth.required) {
      const refused = hosts.checkHost(req.headers.host) ?? hosts.checkOrigin(req.headers.origin, req.headers.host);
      if (refused) {
        log.debug('request refused by the host/origin guard', { path: url.pathname, code: refused.code });
        return sendError(req, res, format, refused);
      }
    }
    const peer = peerOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (signal) {
      const denied = requireRole(caller, 'write');
      if (denied) return sendError(req, res, format, denied);
      const emitter: EmitterIdentity = { credential: caller.id, address: peer, services: caller.services, actors: caller.actors };
      return handleOtlp(req, res, signal, url.pathname, emitter);
    }
    if (!open) {
      const denied = requireRole(caller, 'read');
      if (denied) return sendError(req, res, format, denied);
    }
    if (api && (await api(req, res, url, { principal: caller, peer }))) return;
    const err = new ReceiverError('MCPTRAIL_OTLP_NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
    return sendError(req, res, format, err);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res)
      .catch((err: unknown) => {
        log.error('request handler failed', { err });
        const internal = new ReceiverError('MCPTRAIL_OTLP_INTERNAL', 'internal error; see the processor log');
        send(res, 500, CONTENT_TYPE.json, encodeStatus('json', internal.grpcCode, internal.message), {
          'mcptrail-error-code': internal.code,
          connection: 'close',
        });
      })
      .finally(() => {
        if (closing) setImmediate(() => server.closeIdleConnections());
      });
  });

  return {
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const h = address.address.includes(':') ? `[${address.address}]` : address.address;
          const url = `${opts.tls ? 'https' : 'http'}://${h}:${address.port}`;
          log.info('OTLP/HTTP receiver listening', { url });
          resolve({ url, port: address.port });
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      closing = true;
      return new Promise((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
