/**
 * One export request made ready for the trail: decoded, normalized (redaction, identity
 * bounds, size caps) and encoded for the inbox. Pure CPU work with no I/O, so it can run in
 * the ingest worker (./prepare-worker.ts) as well as on the main thread for small bodies.
 */
import { inboxRowsOf, type PreparedDrafts } from '../audit/pipeline';
import { encodeInboxItem } from '../audit/inbox-codec';
import { normalizeLog, normalizeSpan } from '../audit/normalize';
import type { NormalizeOptions } from '../audit/types';
import type { ToolDefinitionEvent } from '../detect/types';
import { type TextRedactor, toolDefinitionsOf } from '../tool-definitions';
import { decodeLogs, decodeTraces, type OtlpFormat } from './decode';
import type { OtlpSignal } from './encode-response';
import type { EmitterIdentity } from './types';

export interface PreparedExport {
  drafts: PreparedDrafts;
  /** `mcp.audit.tool_definition` events of a logs request, for the detector. */
  toolDefinitions: ToolDefinitionEvent[];
}

export interface PrepareContext {
  normalize: NormalizeOptions;
  /** Set when detection wants tool definitions (redacted with it). */
  toolRedactor: TextRedactor | null;
}

/** Throws OtlpDecodeError for an undecodable body (the receiver answers 400). */
export function prepareExport(
  signal: OtlpSignal,
  format: OtlpFormat,
  body: Uint8Array,
  emitter: EmitterIdentity | undefined,
  receivedMs: number,
  ctx: PrepareContext,
): PreparedExport {
  const o: NormalizeOptions = emitter ? { ...ctx.normalize, emitter } : ctx.normalize;
  let drafts: PreparedDrafts;
  let toolDefinitions: ToolDefinitionEvent[] = [];
  if (signal === 'traces') {
    const batch = decodeTraces(body, format);
    drafts = inboxRowsOf(batch.spans.map((s) => ['span', normalizeSpan(s, o, receivedMs)] as const), batch.rejected, batch.rejectReason);
  } else if (signal === 'logs') {
    const batch = decodeLogs(body, format);
    if (ctx.toolRedactor) toolDefinitions = toolDefinitionsOf(batch, ctx.toolRedactor);
    drafts = inboxRowsOf(batch.logs.map((l) => ['log', normalizeLog(l, o, receivedMs)] as const), batch.rejected, batch.rejectReason);
  } else {
    drafts = { rows: [], rejected: 0, normalizerRejected: 0, message: null };
  }
  for (const row of drafts.rows) row.encoded = encodeInboxItem(row);
  return { drafts, toolDefinitions };
}
