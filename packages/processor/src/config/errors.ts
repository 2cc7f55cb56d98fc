import { CodedError } from '../coded-error';

/** Error codes of configuration loading (file, environment, flags). Never reuse a code. */
export const CONFIG_ERROR_CODES = {
  MCPTRAIL_ERR_CONFIG_FILE_UNREADABLE: 'The configuration file cannot be read (missing, a directory, no permission).',
  MCPTRAIL_ERR_CONFIG_FILE_SYNTAX: 'The configuration file is not valid YAML (or JSON).',
  MCPTRAIL_ERR_CONFIG_INVALID: 'A configuration key has a wrong type or value, or is unknown; the message names the key and where it came from.',
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

export class ConfigError extends CodedError<ConfigErrorCode> {}
