import {
  context,
  createContextKey,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type DiagLogger,
  type Histogram,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { safeExecuteInTheMiddle } from '@opentelemetry/instrumentation';
import type { AuditOutcome, ResultSummary } from '@mcptrail/conventions';
import * as conventions from '@mcptrail/conventions';
import { emitAuditRecord } from './audit-log';
import { metricMethodName, metricToolName } from './metric-attributes';
import { isInputRequired } from './mcp-sdk/adapter';
import { boundedView, canonicalBytesWithinBudget, measure, measureJson, truncatedMarker, type Measured } from './value-budget';
import { connectionOf, implementationOf, networkTransportOf, serverAddressOf, sessionIdOf, type ToolVersionInfo } from './connection';
import { errorType, failureOutcome, isDenied, toFailure, type FailureInfo } from './outcome';
import { peersOf } from './peers';
import { newTally, tallyTypes, type RedactionTally, type TelemetryRedaction } from './redaction';
import { describeRequest, type RequestDescription } from './request-attributes';
import { setResultSummary, summarizeToolResult, toolErrorText } from './result-summary';
import type { ToolDefinitionRegistry } from './tool-definitions';
import type { SdkAdapter } from './mcp-sdk/adapter';
import type {
  McpClientAuditMode,
  McpInstrumentationConfig,
  McpRequestHookInfo,
  McpRequestLike,
  McpResponseHookInfo,
  McpSpanSide,
} from './types';

// Read once: `@mcptrail/conventions` re-exports through CommonJS getters, too slow to read per call.
const {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_MCPTRAIL_REDACTION_COUNT,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} = conventions;

/** One request in flight: its span and what we learned about it before the response. */
export interface CallRecord {
  side: McpSpanSide;
  span: Span;
  /** The context the request was started in (its span's parent). */
  parent: Context;
  /** The span's context: the handler (server side) or the transport send (client side) runs in it. */
  ctx: Context;
  startEpochMs: number;
  startPerfMs: number;
  description: RequestDescription;
  request: McpRequestLike;
  protocol: object;
  transport: object | undefined;
  /** The SDK major's adapter that saw this request. */
  sdk: SdkAdapter;
  /** The protocol revision of this request, when known at its start (per request from 2026-07-28). */
  protocolVersion?: string;
  /** A sessionless revision (2026-07-28+): no `mcp.session.id` is invented for it. */
  sessionless: boolean;
  /** What redaction changed for this call (reported as counts and types, never values). */
  tally: RedactionTally;
  /** Attributes the span started with. */
  startAttributes: Attributes;
  /** `mcp.session.id` as exported (redacted), for the audit record; undefined when sessionless. */
  sessionId?: string;
  /** The transport's raw session id when the span started (Streamable HTTP assigns one at initialize). */
  rawSessionId?: string;
  actorId?: string;
  actorScope?: string;
  /** Protocol version from the `mcp-protocol-version` HTTP header, for connections that never saw initialize. */
  headerProtocolVersion?: string;
  argsHash?: string;
  argsSize?: number;
  /** Arguments over the value budget: exported as a truncation marker only. */
  oversizeArgs?: Measured;
  /** An error the handler threw (server side), seen before the SDK turned it into a response. */
  thrown?: FailureInfo;
  /** Client side: the raw JSON-RPC result or error as received (before the SDK's schema parsing). */
  peerResponded?: boolean;
  rawResult?: unknown;
  /** Schema version of the called tool; a promise while the server's definitions are being recomputed. */
  toolInfo?: ToolVersionInfo | Promise<ToolVersionInfo | undefined>;
  done: boolean;
}

/** How a request ended. `rpcError` is set when the failure is a JSON-RPC error response (sent or received). */
export type CallEnd = { result: unknown } | { failure: FailureInfo; rpcError: boolean };

/** Settings resolved from the config, with defaults applied. */
export interface ResolvedSettings {
  captureArguments: boolean;
  captureResults: boolean;
  scanResults: boolean;
  /** False: the lean profile, no CLIENT span (nor client metric or audit record); `_meta` still carries the context. */
  clientSpans: boolean;
  auditLogs: boolean;
  auditArguments: boolean;
  clientAudit: McpClientAuditMode;
  deniedErrorCodes: ReadonlySet<number>;
  maxErrorMessageLength: number;
  hooks: Pick<McpInstrumentationConfig, 'requestHook' | 'responseHook' | 'ignoreRequestHook'>;
}

export interface RecorderDeps {
  tracer(): Tracer;
  diag: DiagLogger;
  settings(): ResolvedSettings;
  redaction(): TelemetryRedaction;
  histograms(): { server: Histogram; client: Histogram };
  emitLog: Parameters<typeof emitAuditRecord>[0];
  definitions: ToolDefinitionRegistry;
}

const RECORD = Symbol('mcptrail.callRecord');
type SpanWithRecord = Span & { [RECORD]?: CallRecord };

const nowEpochMs = () => performance.timeOrigin + performance.now();

const MAX_URI_LENGTH = 2048;

/** Starts and finishes the span, metric point and audit record of every MCP request, both sides. */
export class CallRecorder {
  // The record rides on its span object (a WeakMap keyed by span cost a GC-traced ephemeron per call, a
  // context key one more copy of the context's Map per span).
  /** Set while the SDK retries a multi-round-trip call: the leg the next request continues. */
  private readonly previousLegKey = createContextKey('mcptrail.instrumentation-mcp.previousLeg');

  constructor(private readonly deps: RecorderDeps) {}

  /** Starts a span for a request, or returns undefined when the request is ignored. Never throws. */
  start(
    side: McpSpanSide,
    protocol: object,
    request: McpRequestLike,
    parent: Context,
    transport: object | undefined,
    requestId: string | number | undefined,
    extra: unknown,
    sdk: SdkAdapter,
    links?: Link[],
  ): CallRecord | undefined {
    try {
      return this.startUnsafe(side, protocol, request, parent, transport, requestId, extra, sdk, links);
    } catch (err) {
      this.deps.diag.error('mcptrail: could not start MCP span', err);
      return undefined;
    }
  }

  private startUnsafe(
    side: McpSpanSide,
    protocol: object,
    request: McpRequestLike,
    parent: Context,
    transport: object | undefined,
    requestId: string | number | undefined,
    extra: unknown,
    sdk: SdkAdapter,
    links: Link[] | undefined,
  ): CallRecord | undefined {
    const settings = this.deps.settings();
    if (side === 'client' && !settings.clientSpans) return undefined;
    const method = typeof request.method === 'string' ? request.method : 'unknown';
    const ignore = settings.hooks.ignoreRequestHook;
    const requestHook = settings.hooks.requestHook;
    // Built only for the hooks: most configurations have none.
    const hookInfo: McpRequestHookInfo | undefined = ignore || requestHook ? { side, method, request, protocol } : undefined;
    if (ignore) {
      const ignored = safeExecuteInTheMiddle(
        () => ignore(hookInfo!),
        (err) => err && this.deps.diag.error('mcptrail: ignoreRequestHook threw', err),
        true,
      );
      if (ignored === true) return undefined;
    }
    const redaction = this.deps.redaction();
    const tally = newTally();
    const description = describeRequest(request, (s) => redaction.text(s, MAX_URI_LENGTH, tally));
    // describeRequest built this object for this call alone; grown in place (an object spread with a
    // computed key costs V8 ~10 µs here: it builds a fresh map every time).
    const attributes = description.attributes;
    attributes[ATTR_MCP_SIDE] = side;
    if (requestId !== undefined) attributes[ATTR_JSONRPC_REQUEST_ID] = String(requestId);
    const networkTransport = networkTransportOf(transport);
    if (networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = networkTransport;
    const protocolVersion = sdk.protocolVersionOf(protocol, request);
    const sessionless = sdk.sessionless(protocolVersion);
    if (protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;
    const rawSessionId = sessionless ? undefined : sessionIdOf(transport);
    const sessionId = rawSessionId ? redaction.identifier(rawSessionId, tally) : undefined;
    if (sessionId) attributes[ATTR_MCP_SESSION_ID] = sessionId;
    const server = side === 'client' ? serverAddressOf(transport) : undefined;
    if (server) {
      attributes[ATTR_SERVER_ADDRESS] = server.address;
      if (server.port !== undefined) attributes[ATTR_SERVER_PORT] = server.port;
    }

    const record: CallRecord = {
      side,
      span: undefined as unknown as Span,
      parent,
      ctx: parent,
      startEpochMs: nowEpochMs(),
      startPerfMs: performance.now(),
      description,
      request,
      protocol,
      transport,
      sdk,
      protocolVersion,
      sessionless,
      startAttributes: attributes,
      sessionId,
      rawSessionId,
      tally,
      done: false,
    };
    if (side === 'server') this.readExtra(record, extra, attributes);
    if (description.method === 'tools/call') {
      const args = description.toolArguments ?? {};
      // One walk checks the budget and writes the canonical JSON bytes (plain JSON arguments, i.e. nearly all).
      const canonical = canonicalBytesWithinBudget(args);
      let fingerprint: { hash?: string; size?: number };
      if (canonical !== undefined) fingerprint = redaction.fingerprintCanonical(canonical);
      else {
        // Bounded before any serialisation: an over-budget argument is hashed from a bounded view.
        const measured = measure(args);
        if (measured.over) record.oversizeArgs = measured;
        fingerprint = measured.over
          ? { hash: redaction.fingerprint(boundedView(args)).hash, size: measured.bytes }
          : redaction.fingerprint(args);
      }
      const { hash, size } = fingerprint;
      record.argsHash = hash;
      record.argsSize = size;
      // Server side: on the call's audit record (its span stays under the SDK's attribute step, see README).
      if (side === 'client') {
        if (hash !== undefined) attributes[ATTR_MCP_TOOL_ARGUMENTS_HASH] = hash;
        if (size !== undefined) attributes[ATTR_MCP_TOOL_ARGUMENTS_SIZE] = size;
      }
      if (settings.captureArguments) {
        attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = record.oversizeArgs ? truncatedMarker(record.oversizeArgs) : redaction.json(args, tally);
      }
      if (description.toolName !== undefined) {
        record.toolInfo =
          side === 'server'
            ? this.deps.definitions.serverTool(protocol, description.toolName)
            : transport && connectionOf(transport).toolVersions.get(description.toolName);
      }
    }
    const previousLeg = parent.getValue(this.previousLegKey) as CallRecord | undefined;
    if (previousLeg) {
      links = [...(links ?? []), { context: previousLeg.span.spanContext() }];
      parent = parent.deleteValue(this.previousLegKey);
      record.parent = parent;
    }
    const span = this.deps.tracer().startSpan(
      description.spanName,
      { kind: side === 'server' ? SpanKind.SERVER : SpanKind.CLIENT, attributes, links, startTime: record.startEpochMs },
      parent,
    );
    record.span = span;
    (span as SpanWithRecord)[RECORD] = record;
    record.ctx = trace.setSpan(parent, span);
    if (requestHook) {
      safeExecuteInTheMiddle(
        () => context.with(record.ctx, () => requestHook(span, hookInfo!)),
        (err) => err && this.deps.diag.error('mcptrail: requestHook threw', err),
        true,
      );
    }
    return record;
  }

  /** Who is calling, from the transport's auth info. Never the token, never raw headers. */
  private readExtra(record: CallRecord, extra: unknown, attributes: Attributes): void {
    if (!extra || typeof extra !== 'object') return;
    const { authInfo, requestInfo } = extra as { authInfo?: unknown; requestInfo?: unknown };
    if (authInfo && typeof authInfo === 'object') {
      const { clientId, scopes } = authInfo as { clientId?: unknown; scopes?: unknown };
      if (typeof clientId === 'string' && clientId.length > 0) {
        // A keyed pseudonym when the id holds personal data (an email): actors stay distinct.
        record.actorId = this.deps.redaction().identifier(clientId.slice(0, 256), record.tally);
        attributes[ATTR_ENDUSER_ID] = record.actorId;
      }
      if (Array.isArray(scopes)) {
        const scope = scopes.filter((s): s is string => typeof s === 'string').join(' ');
        if (scope) {
          record.actorScope = this.deps.redaction().text(scope, 1024, record.tally);
          attributes[ATTR_ENDUSER_SCOPE] = record.actorScope;
        }
      }
    }
    // 1.x: `requestInfo.headers` (a plain object); 2.x: `request`, a web `Request` with `headers.get()`.
    const headers = (requestInfo as { headers?: Record<string, unknown> } | undefined)?.headers;
    const webHeaders = (extra as { request?: { headers?: { get?: unknown } } }).request?.headers;
    const version =
      headers?.['mcp-protocol-version'] ??
      (typeof webHeaders?.get === 'function' ? (webHeaders as Headers).get('mcp-protocol-version') : undefined);
    if (typeof version === 'string' && /^[0-9A-Za-z.-]{1,32}$/.test(version)) record.headerProtocolVersion = version;
  }

  /** Lean profile: outgoing requests get no span of ours but still carry the caller's trace context. */
  propagatesWithoutSpan(): boolean {
    return !this.deps.settings().clientSpans;
  }

  /** The context a multi-round-trip retry runs in: the first leg's parent, with that leg to link to. */
  nextLegContext(record: CallRecord): Context {
    return record.parent.setValue(this.previousLegKey, record);
  }

  /** The record of the request whose span is active, for errors seen inside handlers. */
  recordOfActiveSpan(ctx: Context): CallRecord | undefined {
    // Only while our span is the active one: errors inside a child span the handler started are not the request's.
    return (trace.getSpan(ctx) as SpanWithRecord | undefined)?.[RECORD];
  }

  /** Remembers an error a handler threw, so the outcome can tell a denial from a failure. */
  noteThrown(ctx: Context, err: unknown): void {
    const record = this.recordOfActiveSpan(ctx);
    if (record && !record.done && !record.thrown) record.thrown = toFailure(err);
  }

  /** Ends the span, records the metric and emits the audit record. Idempotent; never throws. */
  finish(record: CallRecord, end: CallEnd): void {
    if (record.done) return;
    record.done = true;
    const endEpochMs = nowEpochMs();
    const durationMs = performance.now() - record.startPerfMs;
    const toolInfo = record.toolInfo;
    if (toolInfo && typeof (toolInfo as Promise<unknown>).then === 'function') {
      (toolInfo as Promise<ToolVersionInfo | undefined>).then(
        (info) => this.complete(record, end, endEpochMs, durationMs, info),
        () => this.complete(record, end, endEpochMs, durationMs, undefined),
      );
    } else {
      this.complete(record, end, endEpochMs, durationMs, toolInfo as ToolVersionInfo | undefined);
    }
  }

  private complete(
    record: CallRecord,
    end: CallEnd,
    endEpochMs: number,
    durationMs: number,
    toolInfo: ToolVersionInfo | undefined,
  ): void {
    try {
      this.completeUnsafe(record, end, endEpochMs, durationMs, toolInfo);
    } catch (err) {
      this.deps.diag.error('mcptrail: could not finish MCP span', err);
      try {
        record.span.end(endEpochMs);
      } catch {
        /* the span is lost; nothing else to do */
      }
    }
  }

  private completeUnsafe(
    record: CallRecord,
    end: CallEnd,
    endEpochMs: number,
    durationMs: number,
    toolInfo: ToolVersionInfo | undefined,
  ): void {
    const settings = this.deps.settings();
    const redaction = this.deps.redaction();
    const { span, description, protocol, transport } = record;
    const method = description.method;
    const attrs: Attributes = {};

    // Learn from the exchange: protocol version on initialize, tool versions on tools/list.
    if ('result' in end) this.learnFromResult(record, end.result);

    // A session id assigned during this request (Streamable HTTP's initialize): the span and record get it.
    const rawSessionId = record.sessionless ? undefined : sessionIdOf(transport);
    if (rawSessionId && rawSessionId !== record.rawSessionId) {
      record.rawSessionId = rawSessionId;
      record.sessionId = redaction.identifier(rawSessionId, record.tally);
      attrs[ATTR_MCP_SESSION_ID] = record.sessionId;
    }
    const protocolVersion =
      record.protocolVersion ??
      record.sdk.protocolVersionOf(protocol, record.request) ??
      (transport && connectionOf(transport).protocolVersion) ??
      record.headerProtocolVersion;
    // Known at the start (2.x and 2026-07-28 requests), it is on the span already.
    if (protocolVersion && protocolVersion !== record.protocolVersion) attrs[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;
    const peers = peersOf(protocol);
    // The client stores serverInfo only after our completion handler runs; take it from the result.
    if (method === 'initialize' && 'result' in end && !peers.server) {
      peers.server = implementationOf((end.result as { serverInfo?: unknown } | undefined)?.serverInfo);
    }
    if (peers.server?.name) attrs[ATTR_MCP_SERVER_NAME] = peers.server.name;
    if (peers.server?.version) attrs[ATTR_MCP_SERVER_VERSION] = peers.server.version;
    if (peers.client?.name) attrs[ATTR_MCP_CLIENT_NAME] = peers.client.name;
    if (peers.client?.version) attrs[ATTR_MCP_CLIENT_VERSION] = peers.client.version;
    // The annotation hints are per-tool constants: on the `mcp.audit.tool_definition` record (and the
    // destructive hint on each audit record, which the processor reads), not on every span.
    if (toolInfo) attrs[ATTR_MCP_TOOL_SCHEMA_VERSION] = toolInfo.version;

    let outcome: AuditOutcome = 'ok';
    let failure: FailureInfo | undefined;
    let summary: ResultSummary | undefined;
    let toolError = false;
    let rpcCode: number | undefined;
    // One leg of a multi-round-trip call (2026-07-28): the call goes on in the next request, audited there.
    const interim = 'result' in end && isInputRequired(end.result);
    if ('result' in end) {
      if (method === 'tools/call' && !interim) {
        // One walk: the budget check and the exact JSON size, without serialising the result.
        const resultSize = measureJson(end.result);
        summary = summarizeToolResult(end.result, resultSize.size);
        // Server side: on the call's audit record. The client span keeps it (the processor's record when
        // the server is not instrumented).
        if (record.side === 'client') setResultSummary(attrs, summary);
        if (settings.captureResults) {
          attrs[ATTR_GEN_AI_TOOL_CALL_RESULT] = resultSize!.over ? truncatedMarker(resultSize!) : redaction.json(end.result, record.tally);
        }
        // Not exported: only the secret types it finds join the tally (credential-output detection).
        else if (settings.scanResults && !resultSize!.over) redaction.scan(end.result, record.tally);
        if (summary.is_error) {
          toolError = true;
          failure = record.thrown ?? { message: toolErrorText(end.result) ?? 'tool returned isError' };
          outcome = record.thrown && isDenied(record.thrown, settings.deniedErrorCodes) ? 'denied' : 'tool_error';
        }
      }
    } else {
      failure = end.failure;
      if (end.rpcError && failure.code !== undefined) rpcCode = failure.code;
      // A thrown error seen in the handler knows its class; the response only carries code and message.
      const judged = record.thrown ? { ...failure, name: record.thrown.name, errno: record.thrown.errno } : failure;
      outcome = failureOutcome(judged, settings.deniedErrorCodes);
    }
    const type = errorType(failure, toolError);
    let errorMessage: string | undefined;
    if (failure) {
      errorMessage = redaction.text(failure.message, settings.maxErrorMessageLength, record.tally);
      if (type) attrs[ATTR_ERROR_TYPE] = type;
      if (rpcCode !== undefined) attrs[ATTR_RPC_RESPONSE_STATUS_CODE] = String(rpcCode);
      attrs[ATTR_MCP_ERROR_MESSAGE] = errorMessage;
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage });
    }
    const audit = settings.auditLogs && !interim && this.shouldAudit(record, end, outcome, settings);
    const redactedArguments =
      audit && settings.auditArguments && method === 'tools/call'
        ? record.oversizeArgs
          ? truncatedMarker(record.oversizeArgs)
          : redaction.json(description.toolArguments ?? {}, record.tally)
        : undefined;
    if (record.tally.count > 0) {
      attrs[ATTR_MCPTRAIL_REDACTION_COUNT] = record.tally.count;
      attrs[ATTR_MCPTRAIL_REDACTION_TYPES] = tallyTypes(record.tally);
    }
    span.setAttributes(attrs);

    const responseHook = settings.hooks.responseHook;
    if (responseHook) {
      const info: McpResponseHookInfo = {
        side: record.side,
        method,
        request: record.request,
        protocol,
        outcome,
        durationMs,
      };
      if ('result' in end) info.result = end.result;
      else info.error = { ...end.failure };
      safeExecuteInTheMiddle(
        () => context.with(record.ctx, () => responseHook(span, info)),
        (err) => err && this.deps.diag.error('mcptrail: responseHook threw', err),
        true,
      );
    }

    // Bounded and clean: unknown or ill-formed names collapse to `_OTHER` (see metric-attributes).
    const metricAttrs: Attributes = { [ATTR_MCP_METHOD_NAME]: metricMethodName(method) };
    if (description.toolName !== undefined) {
      const known = toolInfo !== undefined || (transport !== undefined && connectionOf(transport).toolVersions.has(description.toolName));
      metricAttrs[ATTR_GEN_AI_TOOL_NAME] = metricToolName(description.toolName, known, (t) => redaction.text(t));
    }
    if (type) metricAttrs[ATTR_ERROR_TYPE] = type;
    const networkTransport = networkTransportOf(transport);
    if (networkTransport) metricAttrs[ATTR_NETWORK_TRANSPORT] = networkTransport;
    const histograms = this.deps.histograms();
    (record.side === 'server' ? histograms.server : histograms.client).record(durationMs / 1000, metricAttrs, record.ctx);

    if (audit) {
      const sc = span.spanContext();
      emitAuditRecord(this.deps.emitLog, {
        record,
        spanAttributes: attrs,
        spanExported: span.isRecording() && (sc.traceFlags & TraceFlags.SAMPLED) !== 0,
        outcome,
        errorType: type,
        errorMessage,
        summary,
        durationMs,
        toolInfo,
        redactedArguments,
      });
    }
    span.end(endEpochMs);
  }

  /**
   * The server side is the audit source: every tool call and every failed or denied request.
   * The client side adds records only as configured (by default: failures the server never answered).
   */
  private shouldAudit(record: CallRecord, end: CallEnd, outcome: AuditOutcome, settings: ResolvedSettings): boolean {
    const auditable = record.description.method === 'tools/call' || outcome !== 'ok';
    if (record.side === 'server' || settings.clientAudit === 'all') return auditable;
    if (settings.clientAudit === 'off') return false;
    return 'failure' in end && !record.peerResponded;
  }

  private learnFromResult(record: CallRecord, result: unknown): void {
    const { transport, description, protocol, side } = record;
    if (!transport || !result || typeof result !== 'object') return;
    const conn = connectionOf(transport);
    if (description.method === 'initialize') {
      const v = (result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof v === 'string') conn.protocolVersion = v;
    } else if (description.method === 'tools/list') {
      // Client side: the raw list as received, so both ends fingerprint the same JSON.
      const list = side === 'client' && record.rawResult !== undefined ? record.rawResult : result;
      // A list an McpServer serves unchanged since its versions were computed: nothing to fingerprint.
      const current = side === 'server' ? this.deps.definitions.currentServerVersions(protocol) : undefined;
      const versions = current ?? this.deps.definitions.observeList(protocol, side, list, record.ctx);
      // Pagination: a page adds to what earlier pages taught.
      for (const [name, info] of versions) conn.toolVersions.set(name, info);
    }
  }
}
