import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_EVENT_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  ATTR_MCP_AUDIT_DURATION_MS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_DESTRUCTIVE_HINT,
  ATTR_MCP_TOOL_NAME,
  ATTR_MCP_TOOL_RESULT_CONTENT_COUNT,
  ATTR_MCP_TOOL_RESULT_CONTENT_TYPES,
  ATTR_MCP_TOOL_RESULT_IS_ERROR,
  ATTR_MCP_TOOL_RESULT_SIZE,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  AUDIT_OUTCOMES,
  AUDIT_SCHEMA_VERSION,
  ERROR_TYPE_TOOL_ERROR,
  EVENT_MCP_AUDIT_TOOL_CALL,
  MCP_SIDE_CLIENT,
  MCP_SIDE_SERVER,
  canonicalJson,
  type AuditDraft,
  type ClockAnomaly,
  type AuditOutcome,
  type ResultSummary,
} from '@mcptrail/conventions';
import { SPAN_KIND, STATUS_CODE, type OtlpAttributes, type OtlpLogRecord, type OtlpSpan, type OtlpValue } from '../otlp/types';
import { unownedClaims } from './identity';
import { escapeUnsafe } from '../safe-text';
import type { NormalizeOptions, TrailRedactor } from './types';

/** What the normalizer makes of one span or log record. */
export type Normalized =
  /** Not audit material (not MCP, a notification, or client-side telemetry when those are off). */
  | { kind: 'ignored' }
  /** MCP telemetry that cannot become a record; counts into OTLP partial_success. */
  | { kind: 'rejected'; reason: string }
  | {
      kind: 'draft';
      draft: AuditDraft;
      /** True when no partner can come (log without trace context or unsampled): seal without waiting. */
      sealNow: boolean;
    };

export const DEFAULT_MAX_ARGS_BYTES = 16_384;
export const DEFAULT_MAX_ERROR_MESSAGE_CHARS = 1000;
export const DEFAULT_MAX_FIELD_CHARS = 1024;
/** `service.name` when the resource has none (the OTel SDK default is `unknown_service:<process>`). */
export const UNKNOWN_SERVICE = 'unknown_service';

/** Sender clocks may run this far ahead of the receiver's before a record is flagged `ahead`. */
export const DEFAULT_MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/** ... or be this far behind it (export batching, retries, a Collector's queue) before `behind`. */
export const DEFAULT_MAX_CLOCK_BEHIND_MS = 15 * 60_000;

const DENIED_ERROR_TYPE = /denied|forbidden|unauthori[sz]ed|permission|\b40[13]\b/i;
const TRACE_FLAG_SAMPLED = 0x01;

/**
 * Server-side MCP request spans become records: every method (initialize, tools/list, …
 * as well as tools/call, resources/read, prompts/get), because "who connected and what
 * did they look at" is part of the trail and these requests are few next to tool calls.
 * Notifications (`notifications/*`) are not requests and are ignored.
 */
export function normalizeSpan(span: OtlpSpan, opts: NormalizeOptions, receivedMs: number = Date.now()): Normalized {
  const attrs = span.attributes;
  const method = attrs[ATTR_MCP_METHOD_NAME];
  if (typeof method !== 'string' || method.length === 0) return { kind: 'ignored' };
  if (method.startsWith('notifications/')) return { kind: 'ignored' };

  const side = spanSide(span);
  if (side === null) {
    return { kind: 'rejected', reason: `MCP span ${span.spanId} '${method}' has span kind ${span.kind}, expected SERVER or CLIENT` };
  }
  if (side === MCP_SIDE_CLIENT && !opts.includeClientSpans && !opts.clientFallback) return { kind: 'ignored' };

  const time = isoFromNanos(span.startTimeUnixNano);
  if (time === null) return { kind: 'rejected', reason: `MCP span ${span.spanId} '${method}' has no valid start time` };

  let duration = num(attrs[ATTR_MCP_AUDIT_DURATION_MS]);
  if (duration === null && span.endTimeUnixNano > span.startTimeUnixNano) {
    duration = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  }
  const failed = span.status.code === STATUS_CODE.ERROR;
  const statusMessage = failed && span.status.message ? span.status.message : null;
  return build(attrs, span.resource.attributes, opts, {
    method,
    side,
    time,
    duration,
    failed,
    statusMessage,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    source: 'span',
    sealNow: false,
    receivedMs,
  });
}

/** `mcp.audit.tool_call` log records become drafts too; every other log record is ignored. */
export function normalizeLog(log: OtlpLogRecord, opts: NormalizeOptions, receivedMs: number = Date.now()): Normalized {
  const named = log.attributes[ATTR_EVENT_NAME];
  const eventName = log.eventName ?? (typeof named === 'string' ? named : null);
  if (eventName !== EVENT_MCP_AUDIT_TOOL_CALL) return { kind: 'ignored' };
  const attrs = log.attributes;
  const method = attrs[ATTR_MCP_METHOD_NAME];
  if (typeof method !== 'string' || method.length === 0) {
    return { kind: 'rejected', reason: `audit log record has no '${ATTR_MCP_METHOD_NAME}'` };
  }
  const sideAttr = attrs[ATTR_MCP_SIDE];
  const side = sideAttr === MCP_SIDE_CLIENT ? MCP_SIDE_CLIENT : MCP_SIDE_SERVER;
  if (side === MCP_SIDE_CLIENT && !opts.includeClientSpans && !opts.clientFallback) return { kind: 'ignored' };
  const time = isoFromNanos(log.timeUnixNano) ?? isoFromNanos(log.observedTimeUnixNano);
  if (time === null) return { kind: 'rejected', reason: `audit log record for '${method}' has no valid timestamp` };
  const hasContext = log.traceId !== null && log.spanId !== null;
  const sampled = (log.flags & TRACE_FLAG_SAMPLED) !== 0;
  return build(attrs, log.resource.attributes, opts, {
    method,
    side,
    time,
    duration: num(attrs[ATTR_MCP_AUDIT_DURATION_MS]),
    failed: false,
    statusMessage: null,
    traceId: log.traceId,
    spanId: log.spanId,
    parentSpanId: null,
    source: 'log',
    // Without trace context, or unsampled, no span will be exported for this call.
    sealNow: !hasContext || !sampled,
    receivedMs,
  });
}

interface Frame {
  method: string;
  side: 'server' | 'client';
  time: string;
  duration: number | null;
  failed: boolean;
  statusMessage: string | null;
  traceId: string | null;
  spanId: string | null;
  parentSpanId: string | null;
  source: 'span' | 'log';
  sealNow: boolean;
  /** The receiver's clock when the telemetry arrived (epoch ms). */
  receivedMs: number;
}

function build(attrs: OtlpAttributes, resource: OtlpAttributes, opts: NormalizeOptions, f: Frame): Normalized {
  const r = opts.redactor;
  const maxField = opts.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
  // Names and ids: unsafe characters (controls, bidi, invisible) stored as visible escapes (see safe-text).
  const text = (v: OtlpValue | undefined) => safeName(redactedText(r, v, maxField), maxField);
  const where = `${f.source === 'span' ? 'MCP span' : 'audit log record'} ${f.spanId ?? '(no span id)'} '${f.method}'`;

  const tool = text(attrs[ATTR_GEN_AI_TOOL_NAME] ?? attrs[ATTR_MCP_TOOL_NAME]);
  const prompt = text(attrs[ATTR_GEN_AI_PROMPT_NAME]);
  const resourceUri = redactedText(r, attrs[ATTR_MCP_RESOURCE_URI], 2048);
  if (f.method === 'tools/call' && tool === null) return { kind: 'rejected', reason: `${where} has no '${ATTR_GEN_AI_TOOL_NAME}'` };
  if (f.method === 'prompts/get' && prompt === null) return { kind: 'rejected', reason: `${where} has no '${ATTR_GEN_AI_PROMPT_NAME}'` };
  if (f.method === 'resources/read' && resourceUri === null) return { kind: 'rejected', reason: `${where} has no '${ATTR_MCP_RESOURCE_URI}'` };

  // The credential's bounds apply to the claims as sent, before redaction or truncation.
  const claimedService = typeof resource[ATTR_SERVICE_NAME] === 'string' && resource[ATTR_SERVICE_NAME] !== '' ? (resource[ATTR_SERVICE_NAME] as string) : UNKNOWN_SERVICE;
  const claimedActor = typeof attrs[ATTR_ENDUSER_ID] === 'string' ? (attrs[ATTR_ENDUSER_ID] as string) : null;
  const unowned = unownedClaims(opts.emitter, claimedService, claimedActor);
  if (unowned.length > 0 && (opts.identityMismatch ?? 'reject') === 'reject') {
    const what = unowned.map((f) => (f === 'service' ? `service.name ${JSON.stringify(truncate(claimedService, 64))}` : `enduser.id ${JSON.stringify(truncate(claimedActor ?? '', 64))}`));
    return { kind: 'rejected', reason: `${where}: credential '${opts.emitter?.credential}' may not assert ${what.join(' or ')}` };
  }

  const errorType = text(attrs[ATTR_ERROR_TYPE]);
  const isError = attrs[ATTR_MCP_TOOL_RESULT_IS_ERROR] === true;
  // Secret types (never values) the emitter's redactor reported, plus what re-redaction here finds.
  const redactionTypes = new Set<string>(emitterRedactionTypes(attrs[ATTR_MCPTRAIL_REDACTION_TYPES], maxField));
  const errorMessage = redactedText(
    r,
    attrs[ATTR_MCP_ERROR_MESSAGE] ?? f.statusMessage ?? undefined,
    opts.maxErrorMessageChars ?? DEFAULT_MAX_ERROR_MESSAGE_CHARS,
    redactionTypes,
  );
  const args = redactedArgs(r, attrs[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS], opts.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES, redactionTypes);
  // A result sent as text (any emitter's `gen_ai.tool.call.result`) is never stored, but what it
  // holds is: its redaction types join the record's, so credential output is detected.
  scanResultText(r, attrs[ATTR_GEN_AI_TOOL_CALL_RESULT], redactionTypes);
  const id = (v: OtlpValue | undefined) => safeName(redactedIdentifier(r, v, maxField, redactionTypes), maxField);

  const draft: AuditDraft = {
    schema_version: AUDIT_SCHEMA_VERSION,
    time: f.time,
    service: text(resource[ATTR_SERVICE_NAME]) ?? UNKNOWN_SERVICE,
    service_instance: text(resource[ATTR_SERVICE_INSTANCE_ID]),
    side: f.side,
    session_id: id(attrs[ATTR_MCP_SESSION_ID]),
    method: safeName(truncate(r.redactText(f.method).value, maxField), maxField) as string,
    tool,
    resource_uri: resourceUri,
    prompt,
    jsonrpc_request_id: text(attrs[ATTR_JSONRPC_REQUEST_ID]),
    actor_id: id(attrs[ATTR_ENDUSER_ID]),
    actor_scope: text(attrs[ATTR_ENDUSER_SCOPE]),
    client_name: text(attrs[ATTR_MCP_CLIENT_NAME]),
    client_version: text(attrs[ATTR_MCP_CLIENT_VERSION]),
    client_address: text(attrs[ATTR_CLIENT_ADDRESS]),
    server_name: text(attrs[ATTR_MCP_SERVER_NAME]),
    server_version: text(attrs[ATTR_MCP_SERVER_VERSION]),
    protocol_version: text(attrs[ATTR_MCP_PROTOCOL_VERSION]),
    args,
    args_hash: text(attrs[ATTR_MCP_TOOL_ARGUMENTS_HASH]),
    args_size: nonNegativeInt(attrs[ATTR_MCP_TOOL_ARGUMENTS_SIZE]),
    result: resultSummary(attrs, r, maxField),
    outcome: outcomeOf(attrs[ATTR_MCP_AUDIT_OUTCOME], errorType, isError, f.failed),
    error_type: errorType,
    error_message: errorMessage,
    duration_ms: f.duration !== null && f.duration >= 0 ? f.duration : null,
    tool_schema_version: text(attrs[ATTR_MCP_TOOL_SCHEMA_VERSION]),
    tool_destructive: typeof attrs[ATTR_MCP_TOOL_DESTRUCTIVE_HINT] === 'boolean' ? (attrs[ATTR_MCP_TOOL_DESTRUCTIVE_HINT] as boolean) : null,
    trace_id: f.traceId,
    span_id: f.spanId,
    parent_span_id: f.parentSpanId,
    source: f.source,
    redaction_types: redactionTypes.size > 0 ? [...redactionTypes].sort() : null,
    credential_id: opts.emitter?.credential ?? null,
    emitter_address: opts.emitter?.address ?? null,
    identity_flags: unowned.length > 0 ? [...unowned].sort() : null,
    received_time: new Date(f.receivedMs).toISOString(),
    clock_anomaly: clockAnomalyOf(f.time, f.receivedMs, opts),
  };
  return { kind: 'draft', draft, sealNow: f.sealNow };
}

/**
 * Trusted time: the sender's `time` is kept as sent, but when it lies outside the bounded
 * skew around the receiver's clock the record is flagged, and detection uses `received_time`.
 */
export function clockAnomalyOf(time: string, receivedMs: number, opts: NormalizeOptions): ClockAnomaly | null {
  const t = Date.parse(time);
  if (t > receivedMs + (opts.maxClockAheadMs ?? DEFAULT_MAX_CLOCK_AHEAD_MS)) return 'ahead';
  if (t < receivedMs - (opts.maxClockBehindMs ?? DEFAULT_MAX_CLOCK_BEHIND_MS)) return 'behind';
  return null;
}

function safeName(s: string | null, max: number): string | null {
  if (s === null) return null;
  const safe = escapeUnsafe(s);
  return safe === s ? s : truncate(safe, max);
}

function spanSide(span: OtlpSpan): 'server' | 'client' | null {
  if (span.kind === SPAN_KIND.SERVER) return MCP_SIDE_SERVER;
  if (span.kind === SPAN_KIND.CLIENT) return MCP_SIDE_CLIENT;
  const side = span.attributes[ATTR_MCP_SIDE];
  return side === MCP_SIDE_SERVER || side === MCP_SIDE_CLIENT ? side : null;
}

function outcomeOf(explicit: OtlpValue | undefined, errorType: string | null, isError: boolean, failed: boolean): AuditOutcome {
  if (typeof explicit === 'string' && (AUDIT_OUTCOMES as readonly string[]).includes(explicit)) return explicit as AuditOutcome;
  if (errorType === ERROR_TYPE_TOOL_ERROR || isError) return 'tool_error';
  if (errorType !== null && DENIED_ERROR_TYPE.test(errorType)) return 'denied';
  if (failed || errorType !== null) return 'error';
  return 'ok';
}

/** ISO 8601 with milliseconds from OTLP nanoseconds; null for 0 or out of Date's range. */
export function isoFromNanos(nanos: bigint): string | null {
  if (typeof nanos !== 'bigint' || nanos <= 0n) return null;
  const ms = Number(nanos / 1_000_000n);
  if (!Number.isFinite(ms) || ms > 8.64e15) return null;
  return new Date(ms).toISOString();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** `mcptrail.redaction.types` as the emitter sent it: rule type names only, bounded. */
function emitterRedactionTypes(v: OtlpValue | undefined, maxField: number): string[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((t): t is string => typeof t === 'string' && /^[A-Za-z0-9_.:*-]{1,64}$/.test(t))
    .slice(0, 64)
    .map((t) => truncate(t, maxField));
}

function redactedText(r: TrailRedactor, v: OtlpValue | undefined, max: number, types?: Set<string>): string | null {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
  else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) s = (v as string[]).join(' ');
  else return null;
  if (s.length === 0) return null;
  // Bound before the redactor sees it, then again after (its masks can lengthen text).
  const out = r.redactText(truncate(s, max * 4));
  if (types) for (const t of out.types ?? []) types.add(t);
  return truncate(out.value, max);
}

/**
 * Actor and session ids: an id holding an email (or anything a rule catches) becomes one keyed
 * pseudonym, so two actors stay two actors in the trail and in the baselines; none in clear.
 */
function redactedIdentifier(r: TrailRedactor, v: OtlpValue | undefined, max: number, types: Set<string>): string | null {
  if (r.redactIdentifier === undefined) return redactedText(r, v, max, types);
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') return null;
  const s = String(v);
  if (s.length === 0) return null;
  const out = r.redactIdentifier(truncate(s, max * 4));
  for (const t of out.types ?? []) types.add(t);
  return truncate(out.value, max);
}

/** Bytes of result text scanned for credential types (the rest is not looked at). */
const MAX_RESULT_SCAN = 262_144;

function scanResultText(r: TrailRedactor, v: OtlpValue | undefined, types: Set<string>): void {
  if (typeof v !== 'string' || v.length === 0) return;
  const s = v.length > MAX_RESULT_SCAN ? v.slice(0, MAX_RESULT_SCAN) : v;
  let out: { types?: string[] };
  try {
    const parsed: unknown = s.startsWith('{') || s.startsWith('[') ? JSON.parse(s) : s;
    out = typeof parsed === 'string' ? r.redactText(parsed) : r.redact(parsed);
  } catch {
    out = r.redactText(s);
  }
  for (const t of out.types ?? []) types.add(t);
}

function num(v: OtlpValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function nonNegativeInt(v: OtlpValue | undefined): number | null {
  const n = num(v);
  return n !== null && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/**
 * Arguments arrive as a JSON string (`gen_ai.tool.call.arguments`), already redacted at
 * the source; redacted again here in case the emitter was misconfigured or not ours.
 */
function redactedArgs(r: TrailRedactor, v: OtlpValue | undefined, maxBytes: number, types: Set<string>): unknown {
  if (v === undefined || v === null) return null;
  let parsed: unknown = v;
  if (typeof v === 'string') {
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = v;
    }
  } else if (v instanceof Uint8Array || typeof v === 'bigint') {
    return null;
  }
  const out = r.redact(parsed);
  for (const t of out.types ?? []) types.add(t);
  const redacted = out.value;
  let json: string;
  try {
    json = canonicalJson(redacted);
  } catch {
    return null;
  }
  const bytes = Buffer.byteLength(json);
  // canonicalJson accepted it, so it is plain JSON: the draft's own JSON round trip (staging)
  // and the canonical body at sealing order its keys; no need to parse the text back here.
  if (bytes <= maxBytes) return redacted;
  return { $truncated: true, $bytes: bytes };
}

function resultSummary(attrs: OtlpAttributes, r: TrailRedactor, maxField: number): ResultSummary | null {
  const count = nonNegativeInt(attrs[ATTR_MCP_TOOL_RESULT_CONTENT_COUNT]);
  const size = nonNegativeInt(attrs[ATTR_MCP_TOOL_RESULT_SIZE]);
  const types = attrs[ATTR_MCP_TOOL_RESULT_CONTENT_TYPES];
  const isError = attrs[ATTR_MCP_TOOL_RESULT_IS_ERROR];
  if (count === null && size === null && types === undefined && isError === undefined) return null;
  const typeList = Array.isArray(types)
    ? types.filter((t): t is string => typeof t === 'string').slice(0, 100).map((t) => truncate(r.redactText(t).value, maxField))
    : [];
  return { content_count: count ?? typeList.length, content_types: typeList, size: size ?? 0, is_error: isError === true };
}
