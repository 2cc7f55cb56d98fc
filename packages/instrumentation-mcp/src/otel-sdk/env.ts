import { McptrailConfigError, REGISTER_ERRORS } from './errors';

/** `MCPTRAIL_*` start-up options, normalized. Every field has a documented default. */
export interface McptrailEnvOptions {
  /** MCPTRAIL_CAPTURE_ARGUMENTS: redacted argument JSON on spans (`gen_ai.tool.call.arguments`). @default false */
  captureArguments: boolean;
  /** MCPTRAIL_CAPTURE_RESULTS: redacted result JSON on spans and audit records. @default false */
  captureResults: boolean;
  /** MCPTRAIL_SCAN_RESULTS: scan tool results for secret types (types only, never values) when results are not captured. @default true */
  scanResults: boolean;
  /**
   * MCPTRAIL_CLIENT_SPANS: CLIENT spans (and client-side metrics and audit records) for outgoing requests. `false` is
   * the lean profile for busy servers: server span + audit record per call, trace context still propagated. @default true
   */
  clientSpans: boolean;
  /** MCPTRAIL_HMAC_KEY: key for argument hashes and HMAC pseudonyms. @default undefined (a random per-process key) */
  hmacKey?: string;
  /** MCPTRAIL_HMAC_KEY_ID: id written in `hmac:<keyid>:…` so keys can be rotated. @default undefined */
  hmacKeyId?: string;
  /** MCPTRAIL_REDACT_KEYS: extra key names to redact (comma-separated). @default [] */
  redactKeys: string[];
  /** MCPTRAIL_REDACT_DISABLE: redaction rule names to turn off (comma-separated). @default [] */
  redactDisable: string[];
  /** MCPTRAIL_SCRUB_ALL: run the redacting span/log processors over all telemetry of the process. @default true */
  scrubAll: boolean;
  /**
   * MCPTRAIL_FLUSH_TIMEOUT_MS: one bound on flush + shutdown when the process ends (exit, SIGTERM,
   * SIGINT, stdin end); what is still unsent then goes to the spool. Below the 2 s an MCP client
   * waits after closing a server's stdin before it sends SIGTERM. @default 1500
   */
  flushTimeoutMillis: number;
  /** MCPTRAIL_SPOOL: spool undelivered audit log records to disk and replay them. @default true */
  spool: boolean;
  /** MCPTRAIL_SPOOL_DIR: spool directory (one `<service.name>.jsonl` per service). @default ~/.mcptrail/spool */
  spoolDir?: string;
  /** MCPTRAIL_SPOOL_MAX_BYTES: size bound of a spool file; past it the oldest requests are dropped. @default 67108864 (64 MiB) */
  spoolMaxBytes: number;
  /** MCPTRAIL_SPOOL_MAX_AGE_HOURS: spooled requests older than this are dropped at replay. @default 168 (7 days) */
  spoolMaxAgeHours: number;
  /** MCPTRAIL_SPOOL_SPANS: spool spans as well as log records. @default false */
  spoolSpans: boolean;
  /** MCPTRAIL_MAX_QUEUE_SIZE: span and log batch queue size (OTEL_BSP/BLRP_MAX_QUEUE_SIZE win). @default 16384 */
  maxQueueSize: number;
  /** MCPTRAIL_EXIT_HANDLERS: flush on beforeExit, SIGTERM, SIGINT and stdin end. @default true */
  exitHandlers: boolean;
}

export const ENV_DEFAULTS: Readonly<McptrailEnvOptions> = Object.freeze({
  captureArguments: false,
  captureResults: false,
  scanResults: true,
  clientSpans: true,
  redactKeys: [],
  redactDisable: [],
  scrubAll: true,
  flushTimeoutMillis: 1500,
  spool: true,
  spoolMaxBytes: 64 * 1024 * 1024,
  spoolMaxAgeHours: 168,
  spoolSpans: false,
  maxQueueSize: 16_384,
  exitHandlers: true,
});

export interface ParsedEnv {
  options: McptrailEnvOptions;
  /** One per bad variable; the default was used instead. */
  errors: McptrailConfigError[];
}

type Env = Record<string, string | undefined>;

/** Parse `MCPTRAIL_*`. Never throws: a bad value yields an error and the default. */
export function parseMcptrailEnv(env: Env = process.env): ParsedEnv {
  const errors: McptrailConfigError[] = [];
  const collect = <T>(fallback: T, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof McptrailConfigError) {
        errors.push(error);
        return fallback;
      }
      throw error;
    }
  };
  const d = ENV_DEFAULTS;
  const options: McptrailEnvOptions = {
    captureArguments: collect(d.captureArguments, () => readBoolean(env, 'MCPTRAIL_CAPTURE_ARGUMENTS', d.captureArguments)),
    captureResults: collect(d.captureResults, () => readBoolean(env, 'MCPTRAIL_CAPTURE_RESULTS', d.captureResults)),
    scanResults: collect(d.scanResults, () => readBoolean(env, 'MCPTRAIL_SCAN_RESULTS', d.scanResults)),
    clientSpans: collect(d.clientSpans, () => readBoolean(env, 'MCPTRAIL_CLIENT_SPANS', d.clientSpans)),
    redactKeys: collect([...d.redactKeys], () => readList(env, 'MCPTRAIL_REDACT_KEYS')),
    redactDisable: collect([...d.redactDisable], () => readList(env, 'MCPTRAIL_REDACT_DISABLE')),
    scrubAll: collect(d.scrubAll, () => readBoolean(env, 'MCPTRAIL_SCRUB_ALL', d.scrubAll)),
    flushTimeoutMillis: collect(d.flushTimeoutMillis, () => readInteger(env, 'MCPTRAIL_FLUSH_TIMEOUT_MS', d.flushTimeoutMillis)),
    spool: collect(d.spool, () => readBoolean(env, 'MCPTRAIL_SPOOL', d.spool)),
    spoolMaxBytes: collect(d.spoolMaxBytes, () => readInteger(env, 'MCPTRAIL_SPOOL_MAX_BYTES', d.spoolMaxBytes)),
    spoolMaxAgeHours: collect(d.spoolMaxAgeHours, () => readInteger(env, 'MCPTRAIL_SPOOL_MAX_AGE_HOURS', d.spoolMaxAgeHours)),
    spoolSpans: collect(d.spoolSpans, () => readBoolean(env, 'MCPTRAIL_SPOOL_SPANS', d.spoolSpans)),
    maxQueueSize: collect(d.maxQueueSize, () => readInteger(env, 'MCPTRAIL_MAX_QUEUE_SIZE', d.maxQueueSize)),
    exitHandlers: collect(d.exitHandlers, () => readBoolean(env, 'MCPTRAIL_EXIT_HANDLERS', d.exitHandlers)),
  };
  const spoolDir = raw(env, 'MCPTRAIL_SPOOL_DIR');
  if (spoolDir !== undefined) options.spoolDir = spoolDir;
  const hmacKey = collect<string | undefined>(undefined, () => readHmacKey(env, 'MCPTRAIL_HMAC_KEY'));
  if (hmacKey !== undefined) options.hmacKey = hmacKey;
  const hmacKeyId = collect<string | undefined>(undefined, () => readKeyId(env, 'MCPTRAIL_HMAC_KEY_ID'));
  if (hmacKeyId !== undefined) options.hmacKeyId = hmacKeyId;
  return { options, errors };
}

function raw(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function readBoolean(env: Env, variable: string, fallback: boolean): boolean {
  const value = raw(env, variable);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new McptrailConfigError('MCPTRAIL_ERR_ENV_BOOLEAN', variable, REGISTER_ERRORS.MCPTRAIL_ERR_ENV_BOOLEAN(variable, value));
}

export function readInteger(env: Env, variable: string, fallback: number): number {
  const value = raw(env, variable);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (/^\d+$/.test(value) && Number.isSafeInteger(n) && n > 0) return n;
  throw new McptrailConfigError('MCPTRAIL_ERR_ENV_INTEGER', variable, REGISTER_ERRORS.MCPTRAIL_ERR_ENV_INTEGER(variable, value));
}

export function readList(env: Env, variable: string): string[] {
  const value = raw(env, variable);
  if (value === undefined) return [];
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '' || s.length > 128)) {
    throw new McptrailConfigError('MCPTRAIL_ERR_ENV_LIST', variable, REGISTER_ERRORS.MCPTRAIL_ERR_ENV_LIST(variable, value));
  }
  return items;
}

/** The redactor's minimum (a short key makes pseudonyms guessable). */
export const MIN_HMAC_KEY_BYTES = 16;

function readHmacKey(env: Env, variable: string): string | undefined {
  const value = raw(env, variable);
  if (value === undefined) return undefined;
  const length = Buffer.byteLength(value);
  if (length < MIN_HMAC_KEY_BYTES) {
    throw new McptrailConfigError(
      'MCPTRAIL_ERR_ENV_HMAC_KEY_SHORT',
      variable,
      REGISTER_ERRORS.MCPTRAIL_ERR_ENV_HMAC_KEY_SHORT(variable, length),
    );
  }
  return value;
}

function readKeyId(env: Env, variable: string): string | undefined {
  const value = raw(env, variable);
  if (value === undefined) return undefined;
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(value)) return value;
  throw new McptrailConfigError('MCPTRAIL_ERR_ENV_KEY_ID', variable, REGISTER_ERRORS.MCPTRAIL_ERR_ENV_KEY_ID(variable, value));
}
