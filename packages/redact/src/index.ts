export { createRedactor } from './redactor';
export { RedactConfigError, REDACT_ERROR_CODES, type RedactErrorCode } from './errors';
export { RedactingSpanProcessor, RedactingLogRecordProcessor } from './processors';
export { BUILTIN_RULE_TYPES } from './builtin-types';
export { BUILTIN_KEY_LABELS } from './key-rules';
export { DEFAULT_LIMITS } from './options';
export type { RedactionMode, RedactionPattern, RedactionLimits, RedactorOptions, RedactionResult, Redactor } from './types';
