import { implementationOf, type Implementation } from './connection';

/** Implementation info the SDK holds on Server (`_serverInfo`, `getClientVersion()`) and Client (the mirror). */
interface ProtocolPeers {
  _serverInfo?: unknown;
  _clientInfo?: unknown;
  getClientVersion?: () => unknown;
  getServerVersion?: () => unknown;
}

/**
 * Server and client name/version for spans recorded on `protocol`, whichever side it is:
 * a Server knows itself and (after initialize) its client; a Client the reverse.
 */
export function peersOf(protocol: object): { server?: Implementation; client?: Implementation } {
  const p = protocol as ProtocolPeers;
  try {
    if (typeof p.getClientVersion === 'function') {
      return { server: implementationOf(p._serverInfo), client: implementationOf(p.getClientVersion()) };
    }
    if (typeof p.getServerVersion === 'function') {
      return { client: implementationOf(p._clientInfo), server: implementationOf(p.getServerVersion()) };
    }
  } catch {
    // A subclass with a throwing getter: no names rather than no span.
  }
  return {};
}
