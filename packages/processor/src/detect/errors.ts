/**
 * Detection's error codes (one map for the area; `src/errors.ts` re-exports it).
 * Codes are stable and never reused.
 */
export const DETECT_ERROR_CODES = {
  /** The rule file cannot be read or parsed as YAML. */
  MCPTRAIL_ERR_RULE_FILE_READ: 'rule file cannot be read or is not valid YAML',
  /** A rule or a setting in the rule file is invalid: the message names file, rule id and field. */
  MCPTRAIL_ERR_RULE_INVALID: 'rule file contains an invalid rule or setting',
  /** Two rules in one file share an id. */
  MCPTRAIL_ERR_RULE_DUPLICATE_ID: 'rule id used twice in one file',
} as const;
export type DetectErrorCode = keyof typeof DETECT_ERROR_CODES;

/** A bad rule file: start-up must fail with the file, rule id and field named. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
  constructor(
    readonly code: DetectErrorCode,
    readonly file: string,
    readonly ruleId: string | null,
    readonly field: string | null,
    detail: string,
  ) {
    super(
      `${file}: ${ruleId !== null ? `rule '${ruleId}': ` : ''}${field !== null ? `field '${field}': ` : ''}${detail}`,
    );
  }
}
