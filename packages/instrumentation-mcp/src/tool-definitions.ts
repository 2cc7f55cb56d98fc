import { ROOT_CONTEXT, context, type Context, type DiagLogger } from '@opentelemetry/api';
import { emitToolDefinition, type EmitLog } from './audit-log';
import { connectionOf, sessionIdOf, type ToolVersionInfo } from './connection';
import { peersOf } from './peers';
import { toolVersionsFromList } from './tool-schema';

/** What we hold per McpServer: its advertised tools' versions, recomputed after every change. */
interface McpServerState {
  versions: Map<string, ToolVersionInfo>;
  /** A registration, update() or removal happened since the last computation. */
  dirty: boolean;
  computing?: Promise<Map<string, ToolVersionInfo>>;
  scheduled: boolean;
}

interface ProtocolInternals {
  _transport?: object;
  _requestHandlers?: Map<string, (request: unknown, extra: unknown) => unknown>;
}

interface McpServerLike {
  server?: ProtocolInternals & object;
}

export interface DefinitionDeps {
  emitLog: EmitLog;
  diag: DiagLogger;
  /** Redacts a tool description (descriptions can be poisoned with secrets or instructions). */
  redactDescription(text: string): string;
  /** Whether definition records are emitted at all (the `auditLogs` option). */
  enabled(side: 'server' | 'client'): boolean;
}

/**
 * Tool schema versions, from what a server advertises in `tools/list`.
 * - McpServer: recomputed from the server's own tools/list handler after each registration or `update()`,
 *   so a tools/call right after a redefinition already carries the new version.
 * - Any server: learned from the tools/list results it sends; any client: from the results it receives.
 * Emits `mcp.audit.tool_definition` when a (side, server, tool) is first seen or its version changes.
 */
export class ToolDefinitionRegistry {
  private readonly mcpServers = new WeakMap<object, McpServerState>();
  private readonly mcpServerOfProtocol = new WeakMap<object, McpServerLike>();
  /** Process-wide `side\0server\0tool` → last version seen, for change detection across connections. */
  private readonly lastVersion = new Map<string, string>();
  /** Server side, process-wide by server name: covers stateless HTTP, where each request is a new connection. */
  private readonly byServerName = new Map<string, Map<string, ToolVersionInfo>>();

  constructor(private readonly deps: DefinitionDeps) {}

  /** Called from McpServer patches on every tool registration, update() and list-changed notification. */
  markChanged(mcpServer: McpServerLike): void {
    if (mcpServer.server) this.mcpServerOfProtocol.set(mcpServer.server, mcpServer);
    const state = this.stateOf(mcpServer);
    state.dirty = true;
    if (state.scheduled) return;
    state.scheduled = true;
    // Debounced: a server registering twenty tools at start-up computes its list once.
    setImmediate(() => {
      state.scheduled = false;
      if (state.dirty) this.recompute(mcpServer, state).catch(() => undefined);
    }).unref();
  }

  /** Version of a tool the server side is about to run; a promise if its definitions are being recomputed. */
  serverTool(protocol: object, toolName: string): ToolVersionInfo | Promise<ToolVersionInfo | undefined> | undefined {
    const mcpServer = this.mcpServerOfProtocol.get(protocol);
    if (mcpServer) {
      const state = this.stateOf(mcpServer);
      const pending = state.dirty ? this.recompute(mcpServer, state) : state.computing;
      if (pending) return pending.then((versions) => versions.get(toolName));
      if (state.versions.has(toolName)) return state.versions.get(toolName);
    }
    const transport = (protocol as ProtocolInternals)._transport;
    const fromConnection = transport && connectionOf(transport).toolVersions.get(toolName);
    if (fromConnection) return fromConnection;
    const serverName = peersOf(protocol).server?.name;
    return serverName === undefined ? undefined : this.byServerName.get(serverName)?.get(toolName);
  }

  /**
   * The versions of the McpServer behind `protocol` when they are current (no change since they were
   * computed): a tools/list it serves then needs no fingerprinting at all.
   */
  currentServerVersions(protocol: object): Map<string, ToolVersionInfo> | undefined {
    const mcpServer = this.mcpServerOfProtocol.get(protocol);
    if (!mcpServer) return undefined;
    const state = this.mcpServers.get(mcpServer);
    return state && !state.dirty && !state.computing && state.versions.size > 0 ? state.versions : undefined;
  }

  /** Learns versions from a tools/list result (sent by a server or received by a client). */
  observeList(protocol: object, side: 'server' | 'client', list: unknown, ctx: Context): Map<string, ToolVersionInfo> {
    const out = new Map<string, ToolVersionInfo>();
    const peers = peersOf(protocol);
    const serverName = peers.server?.name;
    const transport = (protocol as ProtocolInternals)._transport;
    for (const [name, { tool, info }] of toolVersionsFromList(list)) {
      out.set(name, info);
      if (side === 'server' && serverName !== undefined) {
        let known = this.byServerName.get(serverName);
        if (!known) {
          known = new Map();
          this.byServerName.set(serverName, known);
        }
        known.set(name, info);
      }
      const key = `${side}\u0000${serverName ?? ''}\u0000${name}`;
      const previous = this.lastVersion.get(key);
      if (previous === info.version) continue;
      this.lastVersion.set(key, info.version);
      if (!this.deps.enabled(side)) continue;
      try {
        emitToolDefinition(this.deps.emitLog, {
          side,
          serverName,
          serverVersion: peers.server?.version,
          toolName: name,
          info,
          previousVersion: previous,
          description: typeof tool.description === 'string' ? this.deps.redactDescription(tool.description) : undefined,
          sessionId: sessionIdOf(transport),
          ctx,
        });
      } catch (err) {
        this.deps.diag.error('mcptrail: could not emit tool definition record', err);
      }
    }
    return out;
  }

  private stateOf(mcpServer: McpServerLike): McpServerState {
    let state = this.mcpServers.get(mcpServer);
    if (!state) {
      state = { versions: new Map(), dirty: false, scheduled: false };
      this.mcpServers.set(mcpServer, state);
    }
    return state;
  }

  /** Runs the server's own tools/list handler (the SDK's zod → JSON Schema conversion), chained after any run in flight. */
  private recompute(mcpServer: McpServerLike, state: McpServerState): Promise<Map<string, ToolVersionInfo>> {
    state.dirty = false;
    const run = () =>
      context.with(ROOT_CONTEXT, async () => {
        const server = mcpServer.server;
        const handler = server?._requestHandlers?.get('tools/list');
        if (!server || typeof handler !== 'function') return new Map<string, ToolVersionInfo>();
        const result = await handler.call(server, { jsonrpc: '2.0', id: '_mcptrail', method: 'tools/list', params: {} }, {
          signal: new AbortController().signal,
          requestId: '_mcptrail',
          sendNotification: async () => undefined,
          sendRequest: async () => {
            throw new Error('not available while fingerprinting tools');
          },
        });
        return this.observeList(server, 'server', result, ROOT_CONTEXT);
      });
    const computing = (state.computing ?? Promise.resolve(state.versions)).then(run, run).then(
      (versions) => {
        state.versions = versions;
        return versions;
      },
      (err: unknown) => {
        this.deps.diag.warn('mcptrail: could not compute tool schema versions', err);
        return state.versions;
      },
    );
    state.computing = computing;
    void computing.finally(() => {
      if (state.computing === computing) state.computing = undefined;
    });
    return computing;
  }
}
