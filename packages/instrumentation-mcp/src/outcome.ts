import type { AuditOutcome } from '@mcptrail/conventions';
import { ERROR_TYPE_TOOL_ERROR } from '@mcptrail/conventions';

/** What went wrong with a request, in the shape both sides can see. */
export interface FailureInfo {
  /** JSON-RPC error code, or HTTP status for transport errors, when there is one. */
  code?: number;
  message: string;
  /** Error class name (`ForbiddenError`, `McpError`, …) when a thrown error was seen. */
  name?: string;
  /** Node system error code (`EACCES`, `ECONNREFUSED`, …). */
  errno?: string;
}

const DENIED_TEXT = /forbidden|unauthori[sz]ed|permission|access.?denied|not.?allowed/i;
const DENIED_ERRNO = new Set(['EACCES', 'EPERM']);
const DENIED_HTTP = new Set([401, 403]);

/** JSON-RPC codes the SDK produces locally when the peer never answered (the server may never have seen the call). */
export const LOCAL_FAILURE_CODES = new Set([-32000 /* ConnectionClosed */, -32001 /* RequestTimeout */]);

/**
 * Authorization failures become `denied`: by error class name or message, HTTP 401/403 carried as code,
 * EACCES/EPERM, or a code the user listed in `deniedErrorCodes`.
 */
export function isDenied(failure: FailureInfo, deniedErrorCodes: ReadonlySet<number>): boolean {
  if (failure.code !== undefined && (deniedErrorCodes.has(failure.code) || DENIED_HTTP.has(failure.code))) return true;
  if (failure.errno !== undefined && DENIED_ERRNO.has(failure.errno)) return true;
  if (failure.name !== undefined && DENIED_TEXT.test(failure.name)) return true;
  return DENIED_TEXT.test(failure.message);
}

export function failureOutcome(failure: FailureInfo, deniedErrorCodes: ReadonlySet<number>): AuditOutcome {
  return isDenied(failure, deniedErrorCodes) ? 'denied' : 'error';
}

/** `error.type`: `tool_error` for isError results, else the JSON-RPC code, else the error class, else `_OTHER`. */
export function errorType(failure: FailureInfo | undefined, toolError: boolean): string | undefined {
  if (toolError) return ERROR_TYPE_TOOL_ERROR;
  if (!failure) return undefined;
  if (failure.code !== undefined) return String(failure.code);
  if (failure.errno !== undefined) return failure.errno;
  return failure.name && failure.name !== 'Error' ? failure.name : '_OTHER';
}

/** McpError prefixes `MCP error <code>: ` to its message, once per hop; the code is recorded on its own. */
export function withoutMcpPrefix(message: string): string {
  return message.replace(/^(?:MCP error -?\d+: )+/, '');
}

/** Normalises anything thrown or rejected into FailureInfo without keeping a reference to it. */
export function toFailure(err: unknown): FailureInfo {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; name?: unknown; status?: unknown; statusCode?: unknown };
    const failure: FailureInfo = { message: withoutMcpPrefix(typeof e.message === 'string' ? e.message : String(err)) };
    if (typeof e.code === 'number' && Number.isSafeInteger(e.code)) failure.code = e.code;
    else if (typeof e.code === 'string') failure.errno = e.code;
    if (failure.code === undefined) {
      const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
      if (status !== undefined) failure.code = status;
    }
    if (typeof e.name === 'string') failure.name = e.name;
    else if (typeof (err as object).constructor?.name === 'string') failure.name = (err as object).constructor.name;
    return failure;
  }
  return { message: String(err) };
}
