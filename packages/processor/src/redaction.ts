/**
 * The processor's redactor: defence in depth over what the emitters already redacted,
 * and the filter of its own diagnostics. One instance serves the trail, the tool
 * definitions and the logger.
 */
import { createRedactor, type Redactor } from '@mcptrail/redact';
import type { ProcessorConfig } from './config/schema';
import type { LogRedactor } from './logger';

export function createProcessorRedactor(config: ProcessorConfig): Redactor {
  return createRedactor({
    keys: config.redaction.keys,
    allowKeys: config.redaction.allow_keys,
    highEntropy: config.redaction.high_entropy,
  });
}

/** The logger's view: strings through value rules, structures through key and value rules. */
export function logRedactorOf(redactor: Redactor): LogRedactor {
  return (value) => (typeof value === 'string' ? redactor.redactText(value).value : redactor.redact(value).value);
}
