import { context } from '@opentelemetry/api';
import type { CallRecorder } from './call-recorder';
import type { Unwrap, Wrap } from './patch-protocol';
import type { ToolDefinitionRegistry } from './tool-definitions';

type AnyFn = (...args: any[]) => any;

/** Methods of `McpServer.prototype` (server/mcp.js) we wrap when the SDK version has them. */
export const MCP_SERVER_METHODS = ['setToolRequestHandlers', 'sendToolListChanged', 'executeToolHandler'] as const;

/**
 * Patches `McpServer.prototype`:
 * - every tool registration, `update()`, `remove()` ends in `sendToolListChanged()` (even when not yet
 *   connected), so that is where the tool definitions are marked for re-fingerprinting;
 * - `executeToolHandler` sees a tool's thrown error before the SDK turns it into an `isError` result,
 *   so a denial (ForbiddenError, EACCES…) can be told from an ordinary tool error.
 */
export function patchMcpServer(
  proto: Record<string, unknown>,
  wrap: Wrap,
  deps: { recorder: CallRecorder; definitions: ToolDefinitionRegistry },
): void {
  const { recorder, definitions } = deps;
  const markChanged = (self: object) => definitions.markChanged(self as { server?: object });

  if (typeof proto['setToolRequestHandlers'] === 'function') {
    wrap(proto, 'setToolRequestHandlers', (original) =>
      function setToolRequestHandlers(this: object, ...args: unknown[]) {
        const out = original.apply(this, args);
        markChanged(this);
        return out;
      },
    );
  }
  if (typeof proto['sendToolListChanged'] === 'function') {
    wrap(proto, 'sendToolListChanged', (original) =>
      function sendToolListChanged(this: object, ...args: unknown[]) {
        markChanged(this);
        return original.apply(this, args);
      },
    );
  }
  if (typeof proto['executeToolHandler'] === 'function') {
    wrap(proto, 'executeToolHandler', (original) =>
      async function executeToolHandler(this: object, ...args: unknown[]) {
        try {
          return await (original as AnyFn).apply(this, args);
        } catch (err) {
          recorder.noteThrown(context.active(), err);
          throw err;
        }
      },
    );
  }
}

export function unpatchMcpServer(proto: object, unwrap: Unwrap): void {
  for (const name of MCP_SERVER_METHODS) unwrap(proto, name);
}
