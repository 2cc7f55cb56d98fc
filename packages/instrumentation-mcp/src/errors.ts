/**
 * The instrumentation's error map (fastify style): one stable code per failure, never reused.
 * Only configuration errors are thrown; everything at run time is caught and sent to the diag logger.
 */
export class McpInstrumentationError extends TypeError {
  readonly code: McpInstrumentationErrorCode;
  constructor(code: McpInstrumentationErrorCode, message: string) {
    super(message);
    this.name = 'McpInstrumentationError';
    this.code = code;
  }
}

export const MCP_INSTRUMENTATION_ERRORS = {
  MCPTRAIL_ERR_INSTR_INVALID_OPTION: 'invalid McpInstrumentation option',
  MCPTRAIL_ERR_INSTR_UNKNOWN_MODULE: 'unknown SDK module passed to patchSdkModule',
} as const;

export type McpInstrumentationErrorCode = keyof typeof MCP_INSTRUMENTATION_ERRORS;

export function invalidOption(field: string, expected: string, got: unknown): McpInstrumentationError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got;
  return new McpInstrumentationError(
    'MCPTRAIL_ERR_INSTR_INVALID_OPTION',
    `McpInstrumentation option '${field}' must be ${expected} (got ${shown})`,
  );
}
