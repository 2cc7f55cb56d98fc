import { CodedError } from '../coded-error';

/** Error codes of the audit store. Codes are never reused. */
export const STORE_ERROR_CODES = {
  MCPTRAIL_ERR_STORE_OPEN: 'the store file could not be opened or created',
  MCPTRAIL_ERR_STORE_SCHEMA: 'the store file was written by a newer, unknown schema version',
  MCPTRAIL_ERR_STORE_QUERY: 'a query filter has an invalid value',
  MCPTRAIL_ERR_STORE_CLOSED: 'the store was used after close()',
} as const;

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

export class StoreError extends CodedError<StoreErrorCode> {}
