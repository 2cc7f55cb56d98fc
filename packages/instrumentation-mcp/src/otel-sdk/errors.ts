/**
 * Start-up configuration errors. Stable codes (never reused); each message names
 * the environment variable. Secret-bearing variables never echo their value.
 */
export const REGISTER_ERRORS = {
  MCPTRAIL_ERR_ENV_BOOLEAN: (variable: string, value: string) =>
    `${variable}=${JSON.stringify(value)} is not a boolean (use true/false, 1/0, yes/no, on/off)`,
  MCPTRAIL_ERR_ENV_INTEGER: (variable: string, value: string) =>
    `${variable}=${JSON.stringify(value)} is not a positive integer`,
  MCPTRAIL_ERR_ENV_HMAC_KEY_SHORT: (variable: string, length: number) =>
    `${variable} is too short (${length} bytes; at least 16 required). The value is not shown`,
  MCPTRAIL_ERR_ENV_KEY_ID: (variable: string, value: string) =>
    `${variable}=${JSON.stringify(value)} must match [A-Za-z0-9_.-]{1,64}`,
  MCPTRAIL_ERR_ENV_LIST: (variable: string, value: string) =>
    `${variable}=${JSON.stringify(value)} has an empty or over-long entry (comma-separated names, each 1..128 chars)`,
  MCPTRAIL_ERR_ENV_ENUM: (variable: string, value: string, allowed: readonly string[]) =>
    `${variable}=${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
  MCPTRAIL_ERR_ENV_CONNECTION_STRING: (variable: string) =>
    `${variable} has no InstrumentationKey (expected "InstrumentationKey=…;IngestionEndpoint=https://…"). The value is not shown`,
  MCPTRAIL_ERR_ENV_REDACTION: (variable: string, reason: string) =>
    `${variable}: redaction options rejected (${reason})`,
  MCPTRAIL_ERR_EXPORTER_UNAVAILABLE: (variable: string, exporter: string, reason: string) =>
    `${variable}: exporter ${JSON.stringify(exporter)} could not be loaded (${reason})`,
} as const;

export type RegisterErrorCode = keyof typeof REGISTER_ERRORS;

/** A configuration problem found at start-up. Reported once through diag; defaults apply instead. */
export class McptrailConfigError extends Error {
  override readonly name = 'McptrailConfigError';
  constructor(
    readonly code: RegisterErrorCode,
    readonly variable: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
