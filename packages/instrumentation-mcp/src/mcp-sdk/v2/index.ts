import { isSessionlessRevision, revisionInMeta, type SdkAdapter } from '../adapter';
import { RoundTripLegs } from '../round-trip-legs';

/**
 * `@modelcontextprotocol/server` and `@modelcontextprotocol/client` 2.x: each package bundles its own copy
 * of `Protocol` (in content-hashed chunks of both `dist/*.mjs` and `dist/*.cjs`), so the hook patches the
 * classes each package entry exports, never a chunk file.
 */
export const V2_VERSIONS = '>=2.0.0 <3';

/** Package entries we hook, and the exported classes whose prototypes we patch. */
export const V2_PACKAGES: Record<V2PackageName, { protocol: string; mcpServer?: string; client?: string }> = {
  '@modelcontextprotocol/server': { protocol: 'Protocol', mcpServer: 'McpServer' },
  // `Client._resolveNonCompleteResult(decoded, flow)` drives multi-round-trip retries (`flow.retry`).
  '@modelcontextprotocol/client': { protocol: 'Protocol', client: 'Client' },
};
export type V2PackageName = '@modelcontextprotocol/server' | '@modelcontextprotocol/client';

/**
 * The private fields of 2.x `Protocol` we read (packages/core/src/shared/protocol.ts,
 * https://github.com/modelcontextprotocol/typescript-sdk/blob/main/packages/core/src/shared/protocol.ts):
 * `_requestWithSchemaViaCodec(codec, request, resultSchema, options)` is the funnel of every outgoing request
 * (`request()`, `_requestWithSchema()`, `ctx.mcpReq.send()`, multi-round-trip retries);
 * `_negotiatedProtocolVersion` is set by `initialize`, `server/discover` or a per-request transport.
 */
interface ProtocolInternals {
  _transport?: object;
  _requestMessageId?: number;
  _requestHandlerAbortControllers?: Map<unknown, AbortController>;
  _negotiatedProtocolVersion?: unknown;
}

export function isV2Version(version: string | undefined): boolean {
  return version !== undefined && /^2\.\d+\.\d+/.test(version);
}

let lastRevision: string | undefined;
let lastSessionless = false;

export const v2Adapter: SdkAdapter = {
  major: 2,
  versions: V2_VERSIONS,
  outbound: { method: '_requestWithSchemaViaCodec', requestArg: 1 },
  transportOf: (p) => (p as ProtocolInternals)._transport,
  nextRequestId: (p) => {
    const id = (p as ProtocolInternals)._requestMessageId;
    return typeof id === 'number' ? id : undefined;
  },
  abortSignalOf: (p, id) => (p as ProtocolInternals)._requestHandlerAbortControllers?.get(id)?.signal,
  protocolVersionOf: (p, request) => {
    const inMeta = revisionInMeta(request);
    if (inMeta) return inMeta;
    const negotiated = (p as ProtocolInternals)._negotiatedProtocolVersion;
    return typeof negotiated === 'string' && negotiated.length <= 32 ? negotiated : undefined;
  },
  sessionless: (version) => {
    // Asked for every request and side, almost always with the one revision the instance negotiated.
    if (version !== lastRevision) {
      lastRevision = version;
      lastSessionless = isSessionlessRevision(version);
    }
    return lastSessionless;
  },
  roundTrips: new RoundTripLegs(),
};
