/** Error codes of the query API (and of query filters given to the CLI). Never reuse a code. */
export const API_ERRORS = {
  MCPTRAIL_ERR_API_BAD_PARAM: { status: 400, summary: 'a query parameter is unknown or has an invalid value; the message names it' },
  MCPTRAIL_ERR_API_NOT_FOUND: { status: 404, summary: 'no such API route' },
  MCPTRAIL_ERR_API_METHOD_NOT_ALLOWED: { status: 405, summary: 'API routes accept GET (and HEAD) only' },
  MCPTRAIL_ERR_API_RATE_LIMITED: { status: 429, summary: '/api/verify ran too recently; retry after Retry-After seconds' },
  MCPTRAIL_ERR_API_DETECTION_DISABLED: { status: 503, summary: 'alerts and baselines need detection, which is disabled in this configuration' },
  MCPTRAIL_ERR_API_INTERNAL: { status: 500, summary: 'the request failed inside the processor; details are in its log' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The offending query parameter (or CLI flag), when there is one. */
    readonly param: string | null = null,
    /** Seconds for Retry-After (429). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.statusCode = API_ERRORS[code].status;
  }
}
