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
  // Runs in the context the handler was called in (the request's span context), as a catch would.
  const noteAndRethrow = (err: unknown): never => {
    recorder.noteThrown(context.active(), err);
    throw err;
  };
  const canSeeThrows = typeof proto['executeToolHandler'] === 'function';
  const markChanged = (self: object) => {
    definitions.markChanged(self as { server?: object });
    // Older SDKs (no executeToolHandler) call `tool.callback` inline: wrap each callback instead.
    if (!canSeeThrows) wrapToolCallbacks(self as { _registeredTools?: Record<string, unknown> }, recorder);
  };

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
      // Not an async function: one promise and one closure fewer per tool call, same settlement.
      function executeToolHandler(this: object, ...args: unknown[]) {
        let out: unknown;
        try {
          out = (original as AnyFn).apply(this, args);
        } catch (err) {
          recorder.noteThrown(context.active(), err);
          return Promise.reject(err);
        }
        return Promise.resolve(out).then(undefined, noteAndRethrow);
      },
    );
  }
}

export function unpatchMcpServer(proto: object, unwrap: Unwrap): void {
  for (const name of MCP_SERVER_METHODS) unwrap(proto, name);
}

const CALLBACK_WRAPPED = Symbol.for('mcptrail.instrumentation-mcp.toolCallbackWrapped');

/** Wraps each registered tool's `callback` once so its thrown error reaches the recorder (SDK < executeToolHandler). */
function wrapToolCallbacks(mcpServer: { _registeredTools?: Record<string, unknown> }, recorder: CallRecorder): void {
  const tools = mcpServer._registeredTools;
  if (!tools || typeof tools !== 'object') return;
  for (const tool of Object.values(tools) as { callback?: AnyFn & { [CALLBACK_WRAPPED]?: boolean } }[]) {
    const callback = tool?.callback;
    if (typeof callback !== 'function' || callback[CALLBACK_WRAPPED]) continue;
    const wrapped = async function (this: unknown, ...args: unknown[]) {
      try {
        return await callback.apply(this, args);
      } catch (err) {
        recorder.noteThrown(context.active(), err);
        throw err;
      }
    } as AnyFn & { [CALLBACK_WRAPPED]?: boolean };
    wrapped[CALLBACK_WRAPPED] = true;
    tool.callback = wrapped;
  }
}
