import { BUILTIN_PII_RULES, BUILTIN_VALUE_RULES, highEntropy } from './value-rules';

/** Types reported by the key-value scan rather than a value rule. */
const STRUCTURAL_TYPES = ['generic_secret', 'jwk_private_key'];

const PII_TYPES: ReadonlySet<string> = new Set(BUILTIN_PII_RULES.flatMap((r) => r.types).filter((t) => t !== 'basic_auth'));

/** Every built-in value rule type, in priority order, plus the opt-in `high_entropy`. */
export const BUILTIN_RULE_TYPES: readonly string[] = Object.freeze([
  ...new Set([...BUILTIN_VALUE_RULES, ...BUILTIN_PII_RULES, highEntropy].flatMap((r) => r.types).concat(STRUCTURAL_TYPES)),
]);

export const BUILTIN_RULE_TYPES_SET: ReadonlySet<string> = new Set(BUILTIN_RULE_TYPES);

/**
 * The built-in types that mean "a credential" (secrets, keys, tokens, signatures) as opposed to
 * personal data: what a credential-output detection should look for.
 */
export const CREDENTIAL_RULE_TYPES: readonly string[] = Object.freeze(
  BUILTIN_RULE_TYPES.filter((t) => !PII_TYPES.has(t)),
);
