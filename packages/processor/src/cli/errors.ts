import { CodedError } from '../coded-error';

/** Error codes of the `mcptrail` command line. Never reuse a code. */
export const CLI_ERROR_CODES = {
  MCPTRAIL_ERR_CLI_USAGE: 'unknown command, unknown option, missing or invalid option value (exit status 2)',
  MCPTRAIL_ERR_CLI_NO_STORE: 'a read command was pointed at a database file that does not exist (exit status 1)',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** Exit status 2, with the usage of the command printed after the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: CliErrorCode = 'MCPTRAIL_ERR_CLI_USAGE';
  constructor(
    message: string,
    readonly command: string | null,
  ) {
    super(message);
  }
}

export class CliError extends CodedError<CliErrorCode> {}
