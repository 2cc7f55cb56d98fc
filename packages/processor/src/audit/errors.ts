import { CodedError } from '../coded-error';

/** Error codes of audit ingestion. Codes are never reused. */
export const AUDIT_ERROR_CODES = {
  MCPTRAIL_ERR_AUDIT_OPTIONS: 'an audit pipeline option has an invalid value',
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERROR_CODES;

export class AuditError extends CodedError<AuditErrorCode> {}

