import type { Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { AuditOutcome } from '@mcptrail/conventions';
import type { Redactor, RedactorOptions } from '@mcptrail/redact';

/** Which end of the MCP exchange recorded the span: the callee (`server`) or the caller (`client`). */
export type McpSpanSide = 'client' | 'server';

/** A JSON-RPC request as the SDK hands it over. Params are raw: never export them without redaction. */
export interface McpRequestLike {
  method: string;
  params?: Record<string, unknown>;
}

/** Passed to `requestHook` and `ignoreRequestHook`. */
export interface McpRequestHookInfo {
  /** `client` for an outgoing request (CLIENT span), `server` for an incoming one (SERVER span). */
  side: McpSpanSide;
  /** `mcp.method.name`, e.g. `tools/call`. */
  method: string;
  /** The request as sent or received (unredacted, read-only: do not mutate). */
  request: McpRequestLike;
  /** The SDK `Client`, `Server` (or other `Protocol`) instance handling the request. */
  protocol: object;
}

/** Passed to `responseHook`, after the response is known and before the span ends. */
export interface McpResponseHookInfo extends McpRequestHookInfo {
  /** The result object (unredacted, read-only), when the request succeeded at the JSON-RPC level. */
  result?: unknown;
  /** The JSON-RPC error or thrown error, when the request failed. */
  error?: { code?: number; message: string; name?: string };
  outcome: AuditOutcome;
  durationMs: number;
}

export type McpRequestHook = (span: Span, info: McpRequestHookInfo) => void;
export type McpResponseHook = (span: Span, info: McpResponseHookInfo) => void;
export type McpIgnoreRequestHook = (info: McpRequestHookInfo) => boolean;

/**
 * When the calling side emits `mcp.audit.tool_call` records. The server side is the
 * audit source; the client side adds records only where the server may never have seen the call.
 * - `undelivered`: failed or denied tool calls that got no JSON-RPC answer (timeout, closed connection,
 *   transport failure such as HTTP 401/403).
 * - `all`: every tool call and every failed request, like the server side.
 * - `off`: never.
 */
export type McpClientAuditMode = 'undelivered' | 'all' | 'off';

export interface McpInstrumentationConfig extends InstrumentationConfig {
  /**
   * Put the redacted arguments of `tools/call` on spans as `gen_ai.tool.call.arguments` (JSON).
   * `mcp.tool.arguments.hash` and `.size` are always exported (CLIENT spans and audit records; see README).
   * @default false
   */
  captureArguments?: boolean;
  /**
   * Put the redacted result of `tools/call` on spans as `gen_ai.tool.call.result` (JSON).
   * The result summary (content count, types, size, isError) is always exported (CLIENT spans and audit records).
   * @default false
   */
  captureResults?: boolean;
  /**
   * Run the redactor over every `tools/call` result even when results are not captured, so
   * the types of secrets a tool returned (never their values) reach `mcptrail.redaction.types`.
   * This is what lets the processor's `credential-output` rule see a tool handing credentials
   * to the model. Costs one redaction pass over the result per call.
   * @default true
   */
  scanResults?: boolean;
  /**
   * A CLIENT span, a client-side duration metric point and (per `clientAudit`) client-side audit records for
   * every outgoing request. `false` is the lean profile for the busiest servers: each call then costs a SERVER
   * span and its audit record only; outgoing requests still carry trace context in `_meta`, so a server
   * downstream still joins the caller's trace. `clientAudit` has no effect then.
   * @default true
   */
  clientSpans?: boolean;
  /**
   * Emit `mcp.audit.tool_call` log records (one per tool call and per failed or denied request)
   * and `mcp.audit.tool_definition` records.
   * @default true
   */
  auditLogs?: boolean;
  /**
   * Put the redacted arguments in audit log records as `gen_ai.tool.call.arguments`.
   * @default true
   */
  auditArguments?: boolean;
  /**
   * Which audit records the calling side (SDK `Client`, or a `Server` sending sampling/elicitation requests) emits.
   * @default 'undelivered'
   */
  clientAudit?: McpClientAuditMode;
  /**
   * Options for the redactor built with `createRedactor` from `@mcptrail/redact`. Ignored when `redactor` is set.
   * @default {} (the redactor's fail-closed defaults)
   */
  redaction?: RedactorOptions;
  /**
   * A ready-made redactor (e.g. shared with the redacting SpanProcessor so both use one HMAC key).
   * @default undefined (one is built from `redaction`)
   */
  redactor?: Redactor;
  /**
   * Extra JSON-RPC error codes that mean "denied" (outcome `denied` instead of `error`).
   * Authorization failures are also recognised by error name/message (forbidden, unauthorized,
   * permission, access denied), HTTP status 401/403 and EACCES/EPERM.
   * @default []
   */
  deniedErrorCodes?: number[];
  /**
   * Longest redacted error message exported, in characters (longer ones are cut and marked with `…`).
   * @default 512
   */
  maxErrorMessageLength?: number;
  /**
   * Called after a span starts, in the span's context; use it to add attributes. Errors are caught and logged.
   * @default undefined
   */
  requestHook?: McpRequestHook;
  /**
   * Called when the response is known, before the span ends, in the span's context. Errors are caught and logged.
   * @default undefined
   */
  responseHook?: McpResponseHook;
  /**
   * Return `true` to record nothing (no span, metric or audit record) for a request.
   * Errors are caught, logged, and count as `false`.
   * @default undefined
   */
  ignoreRequestHook?: McpIgnoreRequestHook;
}
