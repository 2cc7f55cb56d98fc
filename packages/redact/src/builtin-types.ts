import { BUILTIN_PII_RULES, BUILTIN_VALUE_RULES, highEntropy } from './value-rules';

/** Every built-in value rule type, in priority order, plus the opt-in `high_entropy`. */
export const BUILTIN_RULE_TYPES: readonly string[] = Object.freeze([
  ...new Set([...BUILTIN_VALUE_RULES, ...BUILTIN_PII_RULES, highEntropy].flatMap((r) => r.types)),
]);

export const BUILTIN_RULE_TYPES_SET: ReadonlySet<string> = new Set(BUILTIN_RULE_TYPES);
