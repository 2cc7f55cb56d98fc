import { randomUUID } from 'node:crypto';

/**
 * What we know about one connection (a Protocol instance attached to one transport):
 * its session id, transport kind, and the peer/own implementation info learned from `initialize`.
 */
export interface ConnectionInfo {
  /** Generated once per transport, used when the transport has no session id of its own (stdio, in-memory). */
  generatedSessionId: string;
  /** Negotiated protocol version, learned from the initialize exchange. */
  protocolVersion?: string;
  /** Tool name → schema version, learned from tools/list results on this connection. */
  toolVersions: Map<string, ToolVersionInfo>;
}

export interface ToolVersionInfo {
  version: string;
  destructiveHint?: boolean;
  readOnlyHint?: boolean;
  openWorldHint?: boolean;
}

const connections = new WeakMap<object, ConnectionInfo>();

export function connectionOf(transport: object): ConnectionInfo {
  let info = connections.get(transport);
  if (!info) {
    info = { generatedSessionId: randomUUID(), toolVersions: new Map() };
    connections.set(transport, info);
  }
  return info;
}

/** `mcp.session.id`: the transport's own session id (Streamable HTTP, SSE) or the generated one. */
export function sessionIdOf(transport: object | undefined): string | undefined {
  if (!transport) return undefined;
  const own = (transport as { sessionId?: unknown }).sessionId;
  if (typeof own === 'string' && own.length > 0) return own;
  return connectionOf(transport).generatedSessionId;
}

/**
 * `network.transport` by transport class: stdio is a pipe, HTTP/SSE/WebSocket run over TCP, and the
 * SDK's in-memory pair stays in process (`inproc`, not a semconv value, so a backend can tell tests apart).
 */
export function networkTransportOf(transport: object | undefined): string | undefined {
  const ctor = (transport as { constructor?: unknown } | undefined)?.constructor;
  // Asked twice per request and side: the answer is cached per transport class.
  if (typeof ctor !== 'function') return transportKindOfName('');
  if (transportKinds.has(ctor)) return transportKinds.get(ctor);
  const kind = transportKindOfName(typeof ctor.name === 'string' ? ctor.name : '');
  transportKinds.set(ctor, kind);
  return kind;
}

const transportKinds = new WeakMap<object, string | undefined>();

function transportKindOfName(name: string): string | undefined {
  if (/stdio/i.test(name)) return 'pipe';
  if (/http|sse|websocket/i.test(name)) return 'tcp';
  if (/inmemory/i.test(name)) return 'inproc';
  return undefined;
}

export interface Implementation {
  name?: string;
  version?: string;
}

/** Name/version from an SDK Implementation object, defensively (the fields are user-supplied). */
export function implementationOf(v: unknown): Implementation | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { name?: unknown; version?: unknown };
  const out: Implementation = {};
  if (typeof o.name === 'string') out.name = o.name;
  if (typeof o.version === 'string') out.version = o.version;
  return out;
}

/**
 * `server.address`/`server.port` of a client transport that talks to a URL (Streamable HTTP, SSE).
 * Only host and port: the URL's path and query can carry tokens.
 */
export function serverAddressOf(transport: object | undefined): { address: string; port?: number } | undefined {
  const url = (transport as { _url?: unknown } | undefined)?._url;
  if (!(url instanceof URL) || !url.hostname) return undefined;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
  return port === undefined ? { address: url.hostname } : { address: url.hostname, port };
}
