import type { EmitterIdentity } from '../otlp/types';
import type { IdentityMismatchAction } from './identity';

/**
 * The parts of other modules the audit pipeline relies on, as structural types, so the
 * trail can be built and tested on its own. `@mcptrail/redact`'s Redactor and the
 * service's Logger satisfy them.
 */
export interface TrailRedactor {
  redact(value: unknown): { value: unknown; types?: string[] };
  redactText(text: string): { value: string; types?: string[] };
  /** Ids that must stay distinct (actor, session): one keyed pseudonym instead of masks. Without it, redactText. */
  redactIdentifier?(id: string): { value: string; types?: string[] };
}

export interface TrailLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface NormalizeOptions {
  redactor: TrailRedactor;
  /** Who sent the batch (set by the receiver); its credential bounds the service/actor claims. */
  emitter?: EmitterIdentity;
  /** What to do with a claim the credential does not own. Default 'reject'. */
  identityMismatch?: IdentityMismatchAction;
  /**
   * Turn CLIENT-side MCP telemetry into audit records too. Default false: every call a
   * client makes to an instrumented server is already recorded by the server (with the
   * authenticated actor the server saw), and the client's span has a different span id,
   * so counting both would double every call. Enable it when the servers you call cannot
   * be instrumented (third-party/remote MCP servers).
   */
  includeClientSpans?: boolean;
  /**
   * Keep CLIENT-side MCP telemetry as a fallback (when `includeClientSpans` is off): a client call
   * becomes a record, marked `side: client`, only when no server-side record of it arrives (the server
   * span whose parent is the client span); when both arrive, the server's record is the one kept.
   */
  clientFallback?: boolean;
  /** Bytes of canonical JSON kept of redacted arguments; larger args become a truncation marker. Default 16384. */
  maxArgsBytes?: number;
  /** Characters kept of a redacted error message. Default 1000. */
  maxErrorMessageChars?: number;
  /** Characters kept of any other string field (names, ids, URIs). Default 1024. */
  maxFieldChars?: number;
  /** A record dated more than this ahead of the receiver's clock is flagged `clock_anomaly: ahead`. Default 5 min. */
  maxClockAheadMs?: number;
  /** ... more than this behind it, `clock_anomaly: behind`. Default 15 min. */
  maxClockBehindMs?: number;
}
