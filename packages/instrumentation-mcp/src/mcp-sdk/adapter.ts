import type { RoundTripLegs } from './round-trip-legs';

/**
 * The seam between the recorder (which knows MCP) and one major version of the MCP TypeScript SDK (which
 * has its own private fields and hook points). The patches in `../patch-protocol.ts` and
 * `../patch-mcp-server.ts` read the SDK only through an adapter; a new SDK major is a new adapter.
 */
export interface SdkAdapter {
  /** `1` for `@modelcontextprotocol/sdk` 1.x, `2` for `@modelcontextprotocol/server|client` 2.x. */
  readonly major: 1 | 2;
  /** The semver range of the packages this adapter patches. */
  readonly versions: string;
  /**
   * The `Protocol.prototype` method every outgoing request goes through, and the index of its request
   * argument (1.x: `request(req, …)`; 2.x: `_requestWithSchemaViaCodec(codec, req, …)`).
   */
  readonly outbound: { readonly method: string; readonly requestArg: number };
  /** The transport a Protocol instance is connected to. */
  transportOf(protocol: object): object | undefined;
  /** The JSON-RPC id the next outgoing request of this Protocol instance will get. */
  nextRequestId(protocol: object): number | undefined;
  /** The abort signal of an incoming request in flight (cancellation or a closed connection). */
  abortSignalOf(protocol: object, requestId: string | number): AbortSignal | undefined;
  /**
   * The protocol revision a request runs under: the revision in its `_meta` (2026-07-28 and later put
   * it in every request), else the one this instance negotiated, if the SDK stores it.
   */
  protocolVersionOf(protocol: object, request: { params?: Record<string, unknown> }): string | undefined;
  /** Whether a request belongs to a sessionless protocol revision (2026-07-28+: no session id). */
  sessionless(protocolVersion: string | undefined): boolean;
  /** Server legs of multi-round-trip calls awaiting their retry (SDKs that serve 2026-07-28 only). */
  readonly roundTrips?: RoundTripLegs;
}

/** `_meta` key of the protocol revision on every 2026-07-28 request. */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
/** The first revision without sessions or `initialize`. */
export const FIRST_SESSIONLESS_REVISION = '2026-07-28';

const REVISION = /^\d{4}-\d{2}-\d{2}$/;

/** The revision in a request's `_meta` (only a well-formed date string: `_meta` is peer-controlled). */
export function revisionInMeta(request: { params?: Record<string, unknown> }): string | undefined {
  const meta = request.params?.['_meta'];
  if (!meta || typeof meta !== 'object') return undefined;
  const v = (meta as Record<string, unknown>)[PROTOCOL_VERSION_META_KEY];
  return typeof v === 'string' && REVISION.test(v) ? v : undefined;
}

/** Revisions are dates, so they order as strings. */
export function isSessionlessRevision(version: string | undefined): boolean {
  return version !== undefined && REVISION.test(version) && version >= FIRST_SESSIONLESS_REVISION;
}

/** A result that asks the client for input before the call can complete (2026-07-28 multi-round-trip). */
export function isInputRequired(result: unknown): boolean {
  return !!result && typeof result === 'object' && (result as { resultType?: unknown }).resultType === 'input_required';
}
