import { context, trace, type DiagLogger, type Link } from '@opentelemetry/api';
import type { CallRecord, CallRecorder } from './call-recorder';
import { peersOf } from './peers';
import { sessionIdOf } from './connection';
import { toFailure, withoutMcpPrefix } from './outcome';
import { extractFromMeta, withInjectedMeta } from './trace-context';
import type { McpRequestLike } from './types';
import { emitListChanged, type EmitLog } from './audit-log';
import { isInputRequired, type SdkAdapter } from './mcp-sdk/adapter';

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

/** Methods of `Protocol.prototype` wrapped on every SDK major (plus the adapter's outbound funnel). */
export const PROTOCOL_METHODS = [
  '_onrequest',
  '_onresponse',
  'setRequestHandler',
  'notification',
  '_onnotification',
  '_onclose',
  '_enqueueTaskMessage',
] as const;

const LIST_CHANGED = 'notifications/tools/list_changed';
const CANCELLED = 'notifications/cancelled';

export interface ProtocolPatchDeps {
  sdk: SdkAdapter;
  recorder: CallRecorder;
  diag: DiagLogger;
  emitLog: EmitLog;
  auditEnabled(): boolean;
}

/**
 * The leg whose `input_required` response is being dispatched right now. The 2.x SDK hands it to
 * `_resolveNonCompleteResult` synchronously inside `_onresponse`, so a hand-off in this variable replaces a
 * WeakMap entry (a GC-traced ephemeron) per outgoing request, which every call paid for a rare flow.
 */
let inputRequiredLeg: CallRecord | undefined;
/** Outgoing requests in flight per Protocol instance, by JSON-RPC id (ours are numbers). */
const outgoing = new WeakMap<object, Map<number, CallRecord>>();
/** Incoming requests in flight per transport, by JSON-RPC id: their span ends when the response is sent. */
const incoming = new WeakMap<object, Map<string | number, CallRecord>>();
/** Holds a wrapped transport's original `send` (once per instance; the wrapper is inert when nothing is pending). */
const SEND_WRAPPED = Symbol.for('mcptrail.instrumentation-mcp.sendWrapped');

function mapOf<K extends object, V>(store: WeakMap<K, V>, key: K, make: () => V): V {
  let v = store.get(key);
  if (!v) {
    v = make();
    store.set(key, v);
  }
  return v;
}

/**
 * Patches `Protocol.prototype`: every outgoing request gets a CLIENT span and trace context in `_meta`;
 * every incoming request gets a SERVER span (child of the `_meta` context) that ends when its response is sent.
 */
export function patchProtocol(proto: object, wrap: Wrap, deps: ProtocolPatchDeps): void {
  const { recorder, diag } = deps;

  const { method: outboundMethod, requestArg } = deps.sdk.outbound;
  const sdk = deps.sdk;
  wrap(proto, outboundMethod, (original) =>
    function outboundRequest(this: object, ...args: unknown[]) {
      const req = args[requestArg] as McpRequestLike;
      if (!req || typeof req !== 'object' || typeof req.method !== 'string') return original.apply(this, args);
      const requestId = sdk.nextRequestId(this);
      const transport = sdk.transportOf(this);
      const record = recorder.start('client', this, req, context.active(), transport, requestId, undefined, sdk);
      if (!record) {
        if (recorder.propagatesWithoutSpan()) {
          try {
            args[requestArg] = withInjectedMeta(req, context.active());
          } catch (err) {
            diag.warn('mcptrail: could not inject trace context into _meta', err);
          }
        }
        return original.apply(this, args);
      }
      try {
        args[requestArg] = withInjectedMeta(req, record.ctx);
      } catch (err) {
        diag.warn('mcptrail: could not inject trace context into _meta', err);
      }
      const pending = requestId === undefined ? undefined : mapOf(outgoing, this, () => new Map());
      pending?.set(requestId!, record);
      const settle = () => pending?.get(requestId!) === record && pending.delete(requestId!);
      let promise: Promise<unknown>;
      try {
        promise = context.with(record.ctx, () => original.apply(this, args));
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
    function _onresponse(this: object, response: JsonRpcResponseLike, ...rest: unknown[]) {
      let leg: CallRecord | undefined;
      try {
        const record = outgoing.get(this)?.get(Number(response?.id));
        if (record) {
          record.peerResponded = true;
          if (response.result !== undefined) record.rawResult = response.result;
          // One leg of a multi-round-trip call: it ends here; the SDK retries as a new request.
          if (isInputRequired(response.result)) {
            recorder.finish(record, { result: response.result });
            leg = record;
          }
        }
      } catch (err) {
        diag.debug('mcptrail: _onresponse bookkeeping failed', err);
      }
      if (leg === undefined) return original.call(this, response, ...rest);
      const outer = inputRequiredLeg;
      inputRequiredLeg = leg;
      try {
        return original.call(this, response, ...rest);
      } finally {
        inputRequiredLeg = outer;
      }
    },
  );

  wrap(proto, '_onrequest', (original) =>
    function _onrequest(this: object, req: McpRequestLike & { id?: string | number }, extra: unknown, ...rest: unknown[]) {
      const transport = sdk.transportOf(this) as TransportLike | undefined;
      if (!transport || !req || typeof req !== 'object' || req.id === undefined) {
        return original.call(this, req, extra, ...rest);
      }
      const ambient = context.active();
      const parent = extractFromMeta(req, ambient);
      // The semantic conventions: a server span whose parent came from `_meta` links the ambient HTTP span.
      const ambientSpan = parent === ambient ? undefined : trace.getSpan(ambient)?.spanContext();
      let links: Link[] | undefined = ambientSpan && trace.isSpanContextValid(ambientSpan) ? [{ context: ambientSpan }] : undefined;
      // A retry of a multi-round-trip call (2026-07-28) links the server leg it continues.
      const previousLeg = sdk.roundTrips?.retryLink(req, parent);
      if (previousLeg) links = links ? [...links, previousLeg] : [previousLeg];
      const record = recorder.start('server', this, req, parent, transport, req.id, extra, sdk, links);
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
      // A cancelled request (or a closed connection) never sends a response: its span ends where the SDK
      // aborts it, in the wraps of `_onnotification` and `_onclose` below (one wrap, no listener per request).
      return out;
    },
  );

  // Task-augmented requests queue their response instead of sending it.
  wrap(proto, '_enqueueTaskMessage', (original) =>
    function _enqueueTaskMessage(this: object, taskId: unknown, message: { type?: string; message?: unknown }, ...rest: unknown[]) {
      try {
        const transport = sdk.transportOf(this);
        if (message && (message.type === 'response' || message.type === 'error') && transport) {
          finishIncoming(transport, message.message as JsonRpcResponseLike, recorder);
        }
      } catch (err) {
        diag.debug('mcptrail: _enqueueTaskMessage bookkeeping failed', err);
      }
      return original.call(this, taskId, message, ...rest);
    },
  );

  // A thrown handler error knows its class (ForbiddenError, EACCES…); the response only keeps code and message.
  // 1.x: setRequestHandler(schema, handler); 2.x: (method, handler) or (method, schemas, handler).
  wrap(proto, 'setRequestHandler', (original) =>
    function setRequestHandler(this: object, ...args: unknown[]) {
      const at = typeof args[2] === 'function' ? 2 : typeof args[1] === 'function' ? 1 : -1;
      if (at < 0) return original.apply(this, args);
      const handler = args[at] as AnyFn;
      const noteThrown = (err: unknown) => recorder.noteThrown(context.active(), err);
      args[at] = function (this: unknown, ...handlerArgs: unknown[]) {
        try {
          const out = handler.apply(this, handlerArgs);
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
      return original.apply(this, args);
    },
  );

  const listChanged = (self: object, direction: 'sent' | 'received') => {
    if (!deps.auditEnabled()) return;
    try {
      const peers = peersOf(self);
      emitListChanged(deps.emitLog, {
        side: direction === 'sent' ? 'server' : 'client',
        direction,
        sessionId: sessionIdOf(sdk.transportOf(self)),
        serverName: peers.server?.name,
        ctx: context.active(),
      });
    } catch (err) {
      diag.error('mcptrail: could not record tools/list_changed', err);
    }
  };

  wrap(proto, 'notification', (original) =>
    function notification(this: object, note: { method?: unknown }, ...rest: unknown[]) {
      if (note?.method === LIST_CHANGED && sdk.transportOf(this)) listChanged(this, 'sent');
      return original.call(this, note, ...rest);
    },
  );

  wrap(proto, '_onnotification', (original) =>
    function _onnotification(this: object, note: { method?: unknown; params?: { requestId?: unknown } }, ...rest: unknown[]) {
      if (note?.method === LIST_CHANGED) listChanged(this, 'received');
      else if (note?.method === CANCELLED) {
        try {
          const id = note.params?.requestId;
          const transport = sdk.transportOf(this);
          if (transport && (typeof id === 'string' || typeof id === 'number')) cancelIncoming(transport, id, recorder);
        } catch (err) {
          diag.debug('mcptrail: cancellation bookkeeping failed', err);
        }
      }
      return original.call(this, note, ...rest);
    },
  );

  // The SDK aborts every request in flight when the connection closes: their spans end here.
  wrap(proto, '_onclose', (original) =>
    function _onclose(this: object, ...args: unknown[]) {
      try {
        const transport = sdk.transportOf(this);
        const pending = transport && incoming.get(transport);
        if (pending) for (const id of [...pending.keys()]) cancelIncoming(transport, id, recorder);
      } catch (err) {
        diag.debug('mcptrail: close bookkeeping failed', err);
      }
      return original.apply(this, args);
    },
  );
}

/** Ends the SERVER span of an incoming request the SDK aborts (cancelled, or its connection closed). */
function cancelIncoming(transport: object, id: string | number, recorder: CallRecorder): void {
  const pending = incoming.get(transport);
  const record = pending?.get(id);
  if (!record) return;
  pending!.delete(id);
  recorder.finish(record, { failure: { message: 'request cancelled', name: 'cancelled' }, rpcError: false });
}

/**
 * 2026-07-28 multi-round-trip calls: when a result says `input_required`, the 2.x `Client` fulfils the
 * embedded requests and retries the call on a fresh request id through `flow.retry`, once per round (its
 * driver loops on the same `flow`). Each retry runs in the first leg's parent context with the latest leg
 * remembered, so its span links to the leg before it.
 */
export function patchMultiRoundTrip(clientProto: object, wrap: Wrap, recorder: CallRecorder, sdk: SdkAdapter): void {
  wrap(clientProto, '_resolveNonCompleteResult', (original) =>
    function _resolveNonCompleteResult(this: object, decoded: unknown, flow: { retry?: AnyFn }, ...rest: unknown[]) {
      let latest = inputRequiredLeg;
      const retry = flow?.retry;
      const client = this;
      if (latest && typeof retry === 'function') {
        flow.retry = function (this: unknown, ...args: unknown[]) {
          const id = sdk.nextRequestId(client);
          const out = context.with(recorder.nextLegContext(latest!), () => retry.apply(this, args));
          // The outbound wrapper started this leg's record synchronously, under the id it was given.
          const started = id === undefined ? undefined : outgoing.get(client)?.get(id);
          if (started) latest = started;
          return out;
        };
      }
      return original.call(this, decoded, flow, ...rest);
    },
  );
}

export function unpatchMultiRoundTrip(clientProto: object, unwrap: Unwrap): void {
  unwrap(clientProto, '_resolveNonCompleteResult');
}

export function unpatchProtocol(proto: object, unwrap: Unwrap, sdk: SdkAdapter): void {
  unwrap(proto, sdk.outbound.method);
  for (const name of PROTOCOL_METHODS) unwrap(proto, name);
  restoreSends();
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
    if (isInputRequired(message.result)) record.sdk.roundTrips?.ended(record.request, message.result, record.span.spanContext(), record.parent);
    recorder.finish(record, { result: message.result });
  }
}

/**
 * Transports whose `send` is wrapped, weakly (stateless HTTP makes one per request), so that
 * `unpatchProtocol` can put each original back.
 */
const wrappedSends = new Set<WeakRef<TransportLike>>();

function restoreSends(): void {
  for (const ref of wrappedSends) {
    const transport = ref.deref() as (TransportLike & { [SEND_WRAPPED]?: TransportLike['send'] }) | undefined;
    if (transport?.[SEND_WRAPPED]) {
      transport.send = transport[SEND_WRAPPED];
      delete transport[SEND_WRAPPED];
    }
  }
  wrappedSends.clear();
}

function rememberWrappedSend(transport: TransportLike): void {
  if (wrappedSends.size >= 1024) for (const ref of wrappedSends) if (!ref.deref()) wrappedSends.delete(ref);
  wrappedSends.add(new WeakRef(transport));
}

/** Wraps a transport's `send` once, so the response to an incoming request ends that request's span. */
function wrapSend(transport: TransportLike, recorder: CallRecorder, diag: DiagLogger): void {
  const marked = transport as TransportLike & { [SEND_WRAPPED]?: TransportLike['send'] };
  if (marked[SEND_WRAPPED] || typeof transport.send !== 'function') return;
  const originalSend = transport.send;
  marked[SEND_WRAPPED] = originalSend;
  rememberWrappedSend(transport);
  transport.send = function send(this: TransportLike, message: unknown, ...rest: unknown[]) {
    try {
      finishIncoming(transport, message as JsonRpcResponseLike, recorder);
    } catch (err) {
      diag.debug('mcptrail: send bookkeeping failed', err);
    }
    return (originalSend as AnyFn).call(this, message, ...rest);
  };
}
