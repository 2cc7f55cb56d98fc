/**
 * The normalized audit record: what the processor stores, hash-chains, queries and
 * exports, and what every audit record at the source (`mcp.audit.tool_call` log
 * record) can be turned into. The instrumentation's log record carries the same
 * facts as OTel attributes (names in ./attributes.ts); the processor maps them here.
 */

/** Bump on any change to AuditRecord's fields or their meaning. Stored in every record. */
export const AUDIT_SCHEMA_VERSION = '1' as const;

/**
 * - `ok`: the request succeeded.
 * - `tool_error`: the tool ran and returned `isError: true` (or threw, which the SDK turns into `isError`).
 * - `error`: a JSON-RPC error response, a transport failure or a timeout.
 * - `denied`: refused for lack of authority (authorization errors, HTTP 401/403, JSON-RPC errors the instrumentation classifies as denial).
 */
export const AUDIT_OUTCOMES = ['ok', 'error', 'tool_error', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Where the processor learned of the call. */
export const AUDIT_SOURCES = ['span', 'log', 'span+log'] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];

/**
 * How a record's `time` (the sender's clock) disagrees with `received_time` (the
 * receiver's) beyond the processor's bounded skew: `ahead` = dated in the future,
 * `behind` = dated too far in the past. Detection then uses `received_time`.
 */
export const CLOCK_ANOMALIES = ['ahead', 'behind'] as const;
export type ClockAnomaly = (typeof CLOCK_ANOMALIES)[number];

export interface ResultSummary {
  content_count: number;
  content_types: string[];
  /** Bytes of the result JSON. */
  size: number;
  is_error: boolean;
}

/** The fields a normalizer derives from telemetry, before the chain assigns order and hashes. */
export interface AuditDraft {
  schema_version: typeof AUDIT_SCHEMA_VERSION;
  /** ISO 8601 UTC with milliseconds: when the request was received (span start). */
  time: string;
  /** `service.name` of the emitting process. */
  service: string;
  service_instance: string | null;
  /** `server` when recorded by the callee, `client` when only the caller's side was seen. */
  side: 'server' | 'client';
  session_id: string | null;
  /** `mcp.method.name`, e.g. `tools/call`. */
  method: string;
  tool: string | null;
  resource_uri: string | null;
  prompt: string | null;
  jsonrpc_request_id: string | null;
  /** `enduser.id` (OAuth client id or subject), never a token. */
  actor_id: string | null;
  /** `enduser.scope`, space separated. */
  actor_scope: string | null;
  client_name: string | null;
  client_version: string | null;
  client_address: string | null;
  server_name: string | null;
  server_version: string | null;
  protocol_version: string | null;
  /** Redacted arguments (JSON value), or null when not captured. */
  args: unknown;
  args_hash: string | null;
  args_size: number | null;
  result: ResultSummary | null;
  outcome: AuditOutcome;
  error_type: string | null;
  /** Redacted error message, truncated. */
  error_message: string | null;
  duration_ms: number | null;
  tool_schema_version: string | null;
  /** `annotations.destructiveHint` of the tool when the emitter knew it. */
  tool_destructive: boolean | null;
  /** 32 lowercase hex chars, or null when the telemetry had no trace context. */
  trace_id: string | null;
  /** 16 lowercase hex chars, or null. */
  span_id: string | null;
  parent_span_id: string | null;
  source: AuditSource;
  /**
   * Redaction rule types that fired on this call's telemetry (`mcptrail.redaction.types`
   * at the emitter, plus the processor's own pass), sorted and unique, never values.
   * Optional and additive: null or absent when unknown. Detection's credential rule reads it.
   */
  redaction_types?: string[] | null;
  /**
   * Who sent it, as the receiver established it (never a claim of the payload): the id of the
   * credential (token or client certificate) it authenticated with, null when the listener
   * runs without auth. Optional and additive.
   */
  credential_id?: string | null;
  /** The sender's network address: the connection's peer (or a configured trusted proxy's X-Forwarded-For). */
  emitter_address?: string | null;
  /**
   * Claims the credential does not own, stored because `auth.identity_mismatch` is `flag`:
   * `service` (service.name), `actor` (enduser.id), `paired-credential` (span and log record
   * of one call came with different credentials). null when none.
   */
  identity_flags?: string[] | null;
  /**
   * ISO 8601 UTC with milliseconds: the receiver's clock when the telemetry arrived
   * (the earliest half of a span+log pair). Optional and additive: absent on records
   * sealed before it existed. Detection's windows and profiles trust it, not `time`.
   */
  received_time?: string | null;
  /** Set when `time` lies outside the receiver's bounded skew around `received_time`. */
  clock_anomaly?: ClockAnomaly | null;
}

/** A record in the trail: a draft placed in a hash chain. */
export interface AuditRecord extends AuditDraft {
  /** Which chain (one per processor replica or partition). */
  chain_id: string;
  /** Position in its chain, from 1, without gaps. */
  seq: number;
  /** `hash` of the previous record in the chain; 64 zeros for seq 1 (or the checkpointed hash after retention). */
  prev_hash: string;
  /** hex SHA-256(prev_hash ‖ canonicalJson(record without `hash`)) */
  hash: string;
}

const nullable = (type: string | string[]) => ({ type: [...(Array.isArray(type) ? type : [type]), 'null'] });

/** JSON Schema (draft 2020-12) of AuditRecord, for consumers of `mcptrail export` and the query API. */
export const AUDIT_RECORD_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://mcptrail.dev/schemas/audit-record/v${AUDIT_SCHEMA_VERSION}.json`,
  title: 'mcptrail audit record',
  type: 'object',
  additionalProperties: false,
  required: [
    'schema_version', 'chain_id', 'seq', 'time', 'service', 'side', 'method', 'outcome', 'source', 'prev_hash', 'hash',
  ],
  properties: {
    schema_version: { const: AUDIT_SCHEMA_VERSION },
    chain_id: { type: 'string', minLength: 1 },
    seq: { type: 'integer', minimum: 1 },
    time: { type: 'string', format: 'date-time' },
    service: { type: 'string' },
    service_instance: nullable('string'),
    side: { enum: ['server', 'client'] },
    session_id: nullable('string'),
    method: { type: 'string', minLength: 1 },
    tool: nullable('string'),
    resource_uri: nullable('string'),
    prompt: nullable('string'),
    jsonrpc_request_id: nullable('string'),
    actor_id: nullable('string'),
    actor_scope: nullable('string'),
    client_name: nullable('string'),
    client_version: nullable('string'),
    client_address: nullable('string'),
    server_name: nullable('string'),
    server_version: nullable('string'),
    protocol_version: nullable('string'),
    args: {},
    args_hash: nullable('string'),
    args_size: nullable('integer'),
    result: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['content_count', 'content_types', 'size', 'is_error'],
          properties: {
            content_count: { type: 'integer', minimum: 0 },
            content_types: { type: 'array', items: { type: 'string' } },
            size: { type: 'integer', minimum: 0 },
            is_error: { type: 'boolean' },
          },
        },
      ],
    },
    outcome: { enum: [...AUDIT_OUTCOMES] },
    error_type: nullable('string'),
    error_message: nullable('string'),
    duration_ms: nullable('number'),
    tool_schema_version: nullable('string'),
    tool_destructive: nullable('boolean'),
    trace_id: { oneOf: [{ type: 'null' }, { type: 'string', pattern: '^[0-9a-f]{32}$' }] },
    span_id: { oneOf: [{ type: 'null' }, { type: 'string', pattern: '^[0-9a-f]{16}$' }] },
    parent_span_id: { oneOf: [{ type: 'null' }, { type: 'string', pattern: '^[0-9a-f]{16}$' }] },
    source: { enum: [...AUDIT_SOURCES] },
    redaction_types: { oneOf: [{ type: 'null' }, { type: 'array', items: { type: 'string' } }] },
    credential_id: nullable('string'),
    emitter_address: nullable('string'),
    identity_flags: { oneOf: [{ type: 'null' }, { type: 'array', items: { type: 'string' } }] },
    received_time: { oneOf: [{ type: 'null' }, { type: 'string', format: 'date-time' }] },
    clock_anomaly: { oneOf: [{ type: 'null' }, { enum: [...CLOCK_ANOMALIES] }] },
    prev_hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;

/** Field order of AuditRecord, used by canonical serialisation and column lists. */
export const AUDIT_RECORD_FIELDS = Object.keys(AUDIT_RECORD_JSON_SCHEMA.properties) as (keyof AuditRecord)[];
