/**
 * Every error code of @mcptrail/processor, in one map (fastify style). Each area keeps its
 * own codes in its folder's errors.ts; this index gathers them so the README's table can
 * be tested against the code, and so no code is defined twice with different meanings.
 */
import { API_ERRORS } from './api/errors';
import { AUDIT_ERROR_CODES } from './audit/errors';
import { CHAIN_ERROR_CODES } from './chain/errors';
import { CLI_ERROR_CODES } from './cli/errors';
import { CONFIG_ERROR_CODES } from './config/errors';
import { DETECT_ERROR_CODES } from './detect/errors';
import { HTTP_ERRORS } from './http/errors';
import { OTLP_ERRORS } from './otlp/errors';
import { SINK_ERROR_CODES } from './sinks/errors';
import { STORE_ERROR_CODES } from './store/errors';

export { API_ERRORS, ApiError } from './api/errors';
export { AUDIT_ERROR_CODES, AuditError } from './audit/errors';
export { CHAIN_ERROR_CODES, ChainError } from './chain/errors';
export { CLI_ERROR_CODES, CliError, UsageError } from './cli/errors';
export { CONFIG_ERROR_CODES, ConfigError } from './config/errors';
export { DETECT_ERROR_CODES, RuleFileError } from './detect/errors';
export { HTTP_ERRORS, OverloadError, ReceiverError } from './http/errors';
export { OTLP_ERRORS, OtlpDecodeError } from './otlp/errors';
export { SINK_ERROR_CODES, SinkError } from './sinks/errors';
export { STORE_ERROR_CODES, StoreError } from './store/errors';

export type ErrorArea = 'api' | 'audit' | 'chain' | 'cli' | 'config' | 'detect' | 'http' | 'otlp' | 'sinks' | 'store';

export interface ErrorCodeInfo {
  area: ErrorArea;
  summary: string;
  /** HTTP status when the error is answered over HTTP. */
  status: number | null;
}

type AreaMap = Record<string, string | { status: number; summary: string }>;

const AREAS: Array<[ErrorArea, AreaMap]> = [
  ['config', CONFIG_ERROR_CODES],
  ['cli', CLI_ERROR_CODES],
  // The receiver's map includes the decoder's codes with the same meaning and status.
  ['http', HTTP_ERRORS],
  ['otlp', OTLP_ERRORS],
  ['api', API_ERRORS],
  ['audit', AUDIT_ERROR_CODES],
  ['store', STORE_ERROR_CODES],
  ['chain', CHAIN_ERROR_CODES],
  ['detect', DETECT_ERROR_CODES],
  ['sinks', SINK_ERROR_CODES],
];

function build(): Record<string, ErrorCodeInfo> {
  const out: Record<string, ErrorCodeInfo> = {};
  for (const [area, map] of AREAS) {
    for (const [code, v] of Object.entries(map)) {
      const info: ErrorCodeInfo =
        typeof v === 'string' ? { area, summary: v, status: null } : { area, summary: v.summary, status: v.status || null };
      const prev = out[code];
      if (prev && (prev.status !== info.status)) {
        throw new Error(`error code ${code} is defined by ${prev.area} and ${area} with different statuses`);
      }
      out[code] ??= info;
    }
  }
  return out;
}

/** code → area, summary and HTTP status. */
export const ERROR_CODES: Readonly<Record<string, ErrorCodeInfo>> = Object.freeze(build());
