/** What happens to a value a rule caught. */
export type RedactionMode = 'mask' | 'drop' | 'hmac';

/** A user-supplied value rule. */
export interface RedactionPattern {
  /** Rule type reported in `types` and shown in `[REDACTED:<type>]`: lowercase letters, digits, `_`. */
  type: string;
  /** Must be linear-time safe: no nested unbounded quantifiers, no backreferences. Flags allowed: g i m s u. */
  pattern: RegExp | string;
  /** @default the `modes[type]` or `defaultMode` */
  mode?: RedactionMode;
}

export interface RedactionLimits {
  /** Nesting depth below which values are replaced by `[TRUNCATED]`. @default 32 */
  maxDepth?: number;
  /** Items kept per array; the rest is summarised as one `[TRUNCATED n items]` entry. @default 1000 */
  maxArrayLength?: number;
  /** Characters kept per string (rules still run over the cut-off edge). @default 8192 */
  maxStringLength?: number;
  /** Approximate JSON size budget of one `redact()` result, in bytes. @default 65536 */
  maxTotalBytes?: number;
}

export interface RedactorOptions {
  /** Extra sensitive key names, matched case- and separator-insensitively at word boundaries (apiKey ≡ api_key ≡ x-api-key ≡ API-KEY). */
  keys?: string[];
  /** Key names never treated as sensitive by key rules (value rules still apply). Matched case- and separator-insensitively against the whole key. */
  allowKeys?: string[];
  /** Extra value rules, run before the built-in ones. */
  patterns?: RedactionPattern[];
  /** Built-in rule types to turn off (see BUILTIN_RULE_TYPES), or `key:<label>` for one built-in key rule. */
  disable?: string[];
  /** Mode per rule type (`email`, `key` for every key rule, `key:password`, a custom pattern type, …). */
  modes?: Record<string, RedactionMode>;
  /** @default 'mask' */
  defaultMode?: RedactionMode;
  /** Secret for keyed hashes and pseudonyms (at least 16 bytes). @default 32 random bytes per process */
  hmacKey?: string | Uint8Array;
  /** Short id printed in `hmac:<keyId>:…`. @default 'k1' with a given key, 'ephemeral' with a random one */
  hmacKeyId?: string;
  /** Opt-in rule for long high-entropy tokens (type `high_entropy`). @default false */
  highEntropy?: boolean;
  limits?: RedactionLimits;
}

export interface RedactionResult<T> {
  value: T;
  /** Number of values replaced or dropped. */
  count: number;
  /** Sorted, distinct rule types that fired; never values. */
  types: string[];
  /** True when a bound (depth, array length, string length, total size) cut something. */
  truncated: boolean;
}

/** What a redaction found, without the value: `RedactionResult` minus `value`. */
export interface RedactionSummary {
  count: number;
  types: string[];
  truncated: boolean;
}

export interface Redactor {
  /**
   * Deep, JSON-safe copy with secrets replaced; never throws on data (cycles → '[Circular]',
   * bigint → string, functions/symbols dropped, Buffers/typed arrays → '[Binary N bytes]',
   * Error → {name, message (redacted)}, Date → ISO). Bounds enforced (truncated=true when cut).
   */
  redact(value: unknown): RedactionResult<unknown>;
  /**
   * `JSON.stringify(redact(value).value)` in one call (`'null'` when the value has no JSON form):
   * the text is serialised from the redacted copy, so every value is read once.
   */
  redactJson(value: unknown): RedactionResult<string>;
  /**
   * The count, types and truncation `redact(value)` would report, without building the copy:
   * for values that are only inspected (tool results scanned for credential types).
   */
  scan(value: unknown): RedactionSummary;
  /** Value rules over free text (error messages, log bodies, URLs, headers). */
  redactText(text: string): RedactionResult<string>;
  /**
   * For OTel span/log attributes: key rules on the attribute key (its last dotted segment and the
   * whole key), value rules on strings and string arrays; strings holding JSON objects/arrays are
   * parsed, redacted and re-serialised. Dropped keys are absent from the result.
   */
  redactAttributes(attrs: Record<string, unknown>): RedactionResult<Record<string, unknown>>;
  /**
   * For identifiers that must stay distinct (actor ids, session ids): unchanged when clean; when a
   * value rule fires anywhere in it (`jane@example.com`), the whole id becomes one keyed pseudonym
   * `hmac:<keyId>:<16 hex>`, so two actors never merge into one `[REDACTED:email]`.
   */
  redactIdentifier(id: string): RedactionResult<string>;
  /** Keyed HMAC-SHA256 of `data` (a string is hashed as its UTF-8 bytes): `hmac:<keyId>:<64 hex>`. */
  keyedHash(data: string | Uint8Array): string;
  readonly keyId: string;
}
