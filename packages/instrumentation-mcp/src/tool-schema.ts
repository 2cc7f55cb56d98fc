import { createHash } from 'node:crypto';
import { canonicalJson } from '@mcptrail/conventions';
import type { ToolVersionInfo } from './connection';

/** A tool as advertised in a `tools/list` result (JSON Schema, not zod). */
export interface AdvertisedTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: Record<string, unknown>;
}

/**
 * `sha256:` + 16 hex of SHA-256 over the canonical JSON of the definition's name, description, input and
 * output schema and annotations. Computed from what `tools/list` advertises, so server and client agree,
 * it is stable across restarts, and it changes on `update()`, re-registration or a different list.
 */
export function toolSchemaVersion(tool: AdvertisedTool): string {
  // Incremental: a list where one tool changed re-hashes only that one. The key is the tool's plain
  // JSON (cheap, not canonical): the same definition serialised alike hits; anything else is computed.
  let key: string | undefined;
  try {
    key = JSON.stringify([tool.name, tool.description, tool.inputSchema, tool.outputSchema, tool.annotations]);
  } catch {
    key = undefined; // cycles or BigInt: canonicalJson below decides
  }
  if (key !== undefined && key.length <= MAX_CACHED_KEY_CHARS) {
    const hit = versionCache.get(key);
    if (hit !== undefined) return hit;
  }
  const version = computeVersion(tool);
  if (key !== undefined && key.length <= MAX_CACHED_KEY_CHARS) {
    if (versionCache.size >= MAX_CACHED_VERSIONS) versionCache.delete(versionCache.keys().next().value as string);
    versionCache.set(key, version);
  }
  return version;
}

/** Definitions fingerprinted lately (process-wide, bounded): a 10,000-tool server fits. */
const versionCache = new Map<string, string>();
const MAX_CACHED_VERSIONS = 16_384;
const MAX_CACHED_KEY_CHARS = 64 * 1024;

function computeVersion(tool: AdvertisedTool): string {
  const fingerprint = canonicalJson({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  });
  return `sha256:${createHash('sha256').update(fingerprint).digest('hex').slice(0, 16)}`;
}

const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** The tools of a `tools/list` result, each with its version and annotation hints. Ignores malformed entries. */
export function toolVersionsFromList(result: unknown): Map<string, { tool: AdvertisedTool; info: ToolVersionInfo }> {
  const out = new Map<string, { tool: AdvertisedTool; info: ToolVersionInfo }>();
  const tools = (result as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return out;
  for (const t of tools) {
    if (!t || typeof t !== 'object' || typeof (t as AdvertisedTool).name !== 'string') continue;
    const tool = t as AdvertisedTool;
    let version: string;
    try {
      version = toolSchemaVersion(tool);
    } catch {
      continue; // non-finite numbers or cycles: no JSON form, so no fingerprint
    }
    const a = tool.annotations ?? {};
    const info: ToolVersionInfo = { version };
    const destructive = bool(a['destructiveHint']);
    const readOnly = bool(a['readOnlyHint']);
    const openWorld = bool(a['openWorldHint']);
    if (destructive !== undefined) info.destructiveHint = destructive;
    if (readOnly !== undefined) info.readOnlyHint = readOnly;
    if (openWorld !== undefined) info.openWorldHint = openWorld;
    out.set(tool.name, { tool, info });
  }
  return out;
}
