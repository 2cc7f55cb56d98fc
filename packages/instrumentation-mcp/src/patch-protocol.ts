import { context, type DiagLogger } from '@opentelemetry/api';
import type { CallRecord, CallRecorder } from './call-recorder';
import { peersOf } from './peers';
import { sessionIdOf } from './connection';
import { toFailure, withoutMcpPrefix } from './outcome';
import { extractFromMeta, withInjectedMeta } from './trace-context';
import type { McpRequestLike } from './types';
import { emitListChanged, type EmitLog } from './audit-log';

/** The parts of the SDK's `Protocol` (shared/protocol.js, 1.x) the patches touch. */
interface ProtocolLike {
  _transport?: TransportLike;
  _requestMessageId?: number;
  _requestHandlerAbortControllers?: Map<unknown, AbortController>;
}

interface TransportLike {
  send(message: unknown, options?: unknown): Promise<void>;
  sessionId?: string;
}

interface JsonRpcResponseLike {
  id?: string | number;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

type AnyFn = (...args: any[]) => any;
export type Wrap = (target: object, name: string, wrapper: (original: AnyFn) => AnyFn) => void;
export type Unwrap = (target: object, name: string) => void;

export const PROTOCOL_METHODS = [
  'request',
  '_onrequest',
  '_onresponse',
  'setRequestHandler',
  'notification',
  '_onnotification',
  '_enqueueTaskMessage',
] as const;

const LIST_CHANGED = 'notifications/tools/list_changed';

export interface ProtocolPatchDeps {
  recorder: CallRecorder;
  diag: DiagLogger;
  emitLog: EmitLog;
  auditEnabled(): boolean;
}

/** Outgoing requests in flight per Protocol instance, by JSON-RPC id (ours are numbers). */
const outgoing = new WeakMap<object, Map<number, CallRecord>>();
/** Incoming requests in flight per transport, by JSON-RPC id: their span ends when the response is sent. */
const incoming = new WeakMap<object, Map<string | number, CallRecord>>();
/** Transports whose `send` we wrapped (once per instance; the wrapper is inert when nothing is pending). */
const SEND_WRAPPED = Symbol.for('mcptrail.instrumentation-mcp.sendWrapped');

function mapOf<K extends object, V>(store: WeakMap<K, V>, key: K, make: () => V): V {
  let v = store.get(key);
  if (!v) store.set(key, (v = make()));
  return v;
}

/**
 * Patches `Protocol.prototype`: every outgoing request gets a CLIENT span and trace context in `_meta`;
 * every incoming request gets a SERVER span (child of the `_meta` context) that ends when its response is sent.
 */
export function patchProtocol(proto: object, wrap: Wrap, deps: ProtocolPatchDeps): void {
  const { recorder, diag } = deps;

  wrap(proto, 'request', (original) =>
    function request(this: ProtocolLike, req: McpRequestLike, ...rest: unknown[]) {
      if (!req || typeof req !== 'object' || typeof req.method !== 'string') return original.call(this, req, ...rest);
      const requestId = typeof this._requestMessageId === 'number' ? this._requestMessageId : undefined;
      const record = recorder.start('client', this, req, context.active(), this._transport, requestId, undefined);
      if (!record) return original.call(this, req, ...rest);
      let sent: McpRequestLike = req;
      try {
        sent = withInjectedMeta(req, record.ctx);
      } catch (err) {
        diag.warn('mcptrail: could not inject trace context into _meta', err);
      }
      const pending = requestId === undefined ? undefined : mapOf(outgoing, this, () => new Map());
      pending?.set(requestId!, record);
      const settle = () => pending?.get(requestId!) === record && pending.delete(requestId!);
      let promise: Promise<unknown>;
      try {
        promise = context.with(record.ctx, () => original.call(this, sent, ...rest));
      } catch (err) {
        settle();
        recorder.finish(record, { failure: toFailure(err), rpcError: false });
        throw err;
      }
      if (promise && typeof promise.then === 'function') {
        promise.then(
          (result) => {
            settle();
            recorder.finish(record, { result });
          },
          (err: unknown) => {
            settle();
            const failure = toFailure(err);
            recorder.finish(record, { failure, rpcError: record.peerResponded === true });
          },
        );
      }
      return promise;
    },
  );

  wrap(proto, '_onresponse', (original) =>
    function _onresponse(this: ProtocolLike, response: JsonRpcResponseLike, ...rest: unknown[]) {
      try {
        const record = outgoing.get(this)?.get(Number(response?.id));
        if (record) {
          record.peerResponded = true;
          if (response.result !== undefined) record.rawResult = response.result;
        }
      } catch (err) {
        diag.debug('mcptrail: _onresponse bookkeeping failed', err);
      }
      return original.call(this, response, ...rest);
    },
  );

  wrap(proto, '_onrequest', (original) =>
    function _onrequest(this: ProtocolLike, req: McpRequestLike & { id?: string | number }, extra: unknown, ...rest: unknown[]) {
      const transport = this._transport;
      if (!transport || !req || typeof req !== 'object' || req.id === undefined) {
        return original.call(this, req, extra, ...rest);
      }
      const parent = extractFromMeta(req, context.active());
      const record = recorder.start('server', this, req, parent, transport, req.id, extra);
      if (!record) return original.call(this, req, extra, ...rest);
      wrapSend(transport, recorder, diag);
      const pending = mapOf(incoming, transport, () => new Map());
      pending.set(req.id, record);
      let out: unknown;
      try {
        out = context.with(record.ctx, () => original.call(this, req, extra, ...rest));
      } catch (err) {
        pending.delete(req.id);
        recorder.finish(record, { failure: toFailure(err), rpcError: false });
        throw err;
      }
      // A cancelled request (or a closed connection) never sends a response: end its span on abort.
      const controller = this._requestHandlerAbortControllers?.get(req.id);
      controller?.signal.addEventListener(
        'abort',
        () => {
          if (pending.get(req.id!) === record) pending.delete(req.id!);
          recorder.finish(record, { failure: { message: 'request cancelled', name: 'cancelled' }, rpcError: false });
        },
        { once: true },
      );
      return out;
    },
  );

  // Task-augmented requests queue their response instead of sending it.
  wrap(proto, '_enqueueTaskMessage', (original) =>
    function _enqueueTaskMessage(this: ProtocolLike, taskId: unknown, message: { type?: string; message?: unknown }, ...rest: unknown[]) {
      try {
        if (message && (message.type === 'response' || message.type === 'error') && this._transport) {
          finishIncoming(this._transport, message.message as JsonRpcResponseLike, recorder);
        }
      } catch (err) {
        diag.debug('mcptrail: _enqueueTaskMessage bookkeeping failed', err);
      }
      return original.call(this, taskId, message, ...rest);
    },
  );

  // A thrown handler error knows its class (ForbiddenError, EACCES…); the response only keeps code and message.
  wrap(proto, 'setRequestHandler', (original) =>
    function setRequestHandler(this: ProtocolLike, schema: unknown, handler: unknown, ...rest: unknown[]) {
      if (typeof handler !== 'function') return original.call(this, schema, handler, ...rest);
      const noteThrown = (err: unknown) => recorder.noteThrown(context.active(), err);
      const wrapped = function (this: unknown, ...args: unknown[]) {
        try {
          const out = (handler as AnyFn).apply(this, args);
          if (out && typeof out.then === 'function') {
            return out.then(undefined, (err: unknown) => {
              noteThrown(err);
              throw err;
            });
          }
          return out;
        } catch (err) {
          noteThrown(err);
          throw err;
        }
      };
      return original.call(this, schema, wrapped, ...rest);
    },
  );

  const listChanged = (self: ProtocolLike, direction: 'sent' | 'received') => {
    if (!deps.auditEnabled()) return;
    try {
      const peers = peersOf(self);
      emitListChanged(deps.emitLog, {
        side: direction === 'sent' ? 'server' : 'client',
        direction,
        sessionId: sessionIdOf(self._transport),
        serverName: peers.server?.name,
        ctx: context.active(),
      });
    } catch (err) {
      diag.error('mcptrail: could not record tools/list_changed', err);
    }
  };

  wrap(proto, 'notification', (original) =>
    function notification(this: ProtocolLike, note: { method?: unknown }, ...rest: unknown[]) {
      if (note?.method === LIST_CHANGED && this._transport) listChanged(this, 'sent');
      return original.call(this, note, ...rest);
    },
  );

  wrap(proto, '_onnotification', (original) =>
    function _onnotification(this: ProtocolLike, note: { method?: unknown }, ...rest: unknown[]) {
      if (note?.method === LIST_CHANGED) listChanged(this, 'received');
      return original.call(this, note, ...rest);
    },
  );
}

export function unpatchProtocol(proto: object, unwrap: Unwrap): void {
  for (const name of PROTOCOL_METHODS) unwrap(proto, name);
}

/** Ends the SERVER span of the incoming request this response answers, if we are tracking it. */
function finishIncoming(transport: object, message: JsonRpcResponseLike | undefined, recorder: CallRecorder): void {
  if (!message || message.id === undefined || !('result' in message || 'error' in message)) return;
  const pending = incoming.get(transport);
  const record = pending?.get(message.id);
  if (!record) return;
  pending!.delete(message.id);
  if ('error' in message && message.error) {
    const code = typeof message.error.code === 'number' ? message.error.code : undefined;
    const failure = { message: withoutMcpPrefix(typeof message.error.message === 'string' ? message.error.message : 'error'), code };
    recorder.finish(record, { failure, rpcError: true });
  } else {
    recorder.finish(record, { result: message.result });
  }
}

/** Wraps a transport's `send` once, so the response to an incoming request ends that request's span. */
function wrapSend(transport: TransportLike, recorder: CallRecorder, diag: DiagLogger): void {
  const marked = transport as TransportLike & { [SEND_WRAPPED]?: boolean };
  if (marked[SEND_WRAPPED] || typeof transport.send !== 'function') return;
  const originalSend = transport.send;
  marked[SEND_WRAPPED] = true;
  transport.send = function send(this: TransportLike, message: unknown, ...rest: unknown[]) {
    try {
      finishIncoming(transport, message as JsonRpcResponseLike, recorder);
    } catch (err) {
      diag.debug('mcptrail: send bookkeeping failed', err);
    }
    return (originalSend as AnyFn).call(this, message, ...rest);
  };
}
