/**
 * The one error map of @mcptrail/redact (fastify style): every code is stable, documented in
 * README.md (a test checks both lists agree) and never reused.
 */
export const REDACT_ERROR_CODES = {
  MCPTRAIL_ERR_REDACT_OPTIONS_NOT_OBJ: 'options must be an object',
  MCPTRAIL_ERR_REDACT_UNKNOWN_OPTION: 'unknown option',
  MCPTRAIL_ERR_REDACT_INVALID_OPTION: 'option has the wrong type or shape',
  MCPTRAIL_ERR_REDACT_UNKNOWN_RULE_TYPE: 'unknown rule type',
  MCPTRAIL_ERR_REDACT_INVALID_MODE: 'mode must be mask, drop or hmac',
  MCPTRAIL_ERR_REDACT_INVALID_PATTERN: 'pattern does not compile, has unsupported flags or matches the empty string',
  MCPTRAIL_ERR_REDACT_UNSAFE_PATTERN: 'pattern may backtrack catastrophically (nested quantifier or backreference)',
  MCPTRAIL_ERR_REDACT_INVALID_LIMIT: 'limit must be a positive integer within its range',
  MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY: 'hmac key or key id is missing, too short or malformed',
} as const;

export type RedactErrorCode = keyof typeof REDACT_ERROR_CODES;

/** Thrown by createRedactor for bad options; `field` is the user-facing option path, e.g. `modes.emial`. */
export class RedactConfigError extends Error {
  readonly code: RedactErrorCode;
  readonly field: string;

  constructor(code: RedactErrorCode, field: string, detail: string) {
    super(`redact option '${field}': ${detail}`);
    this.name = 'RedactConfigError';
    this.code = code;
    this.field = field;
  }
}
