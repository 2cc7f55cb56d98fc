import { revisionInMeta, type SdkAdapter } from '../adapter';

/**
 * `@modelcontextprotocol/sdk` 1.x (>= 1.13): one package, deep-imported by file (`…/server/mcp.js`), with a
 * CommonJS build in `dist/cjs` and an ESM build in `dist/esm`. The hook patches these files by path.
 */
export const V1_PACKAGE = '@modelcontextprotocol/sdk';
export const V1_VERSIONS = '>=1.13.0 <2';

/** SDK module files we patch, relative to `dist/{cjs,esm}/`, and the export holding the class. */
export const V1_MODULES = {
  'shared/protocol': 'Protocol',
  'server/mcp': 'McpServer',
} as const;
export type V1ModuleName = keyof typeof V1_MODULES;

/**
 * The private fields of `Protocol` (src/shared/protocol.ts,
 * https://github.com/modelcontextprotocol/typescript-sdk/blob/v1.x/src/shared/protocol.ts) we read.
 */
interface ProtocolInternals {
  _transport?: object;
  _requestMessageId?: number;
  _requestHandlerAbortControllers?: Map<unknown, AbortController>;
}

/** Same range as V1_VERSIONS, without pulling semver in. */
export function isV1Version(version: string | undefined): boolean {
  const m = version === undefined ? null : /^1\.(\d+)\.\d+/.exec(version);
  return m !== null && Number(m[1]) >= 13;
}

export const v1Adapter: SdkAdapter = {
  major: 1,
  versions: V1_VERSIONS,
  outbound: { method: 'request', requestArg: 0 },
  transportOf: (p) => (p as ProtocolInternals)._transport,
  nextRequestId: (p) => {
    const id = (p as ProtocolInternals)._requestMessageId;
    return typeof id === 'number' ? id : undefined;
  },
  abortSignalOf: (p, id) => (p as ProtocolInternals)._requestHandlerAbortControllers?.get(id)?.signal,
  // 1.x does not store the negotiated revision: the recorder learns it from the initialize exchange.
  protocolVersionOf: (_p, request) => revisionInMeta(request),
  sessionless: () => false,
};
