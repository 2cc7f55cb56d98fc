import {
  createRedactor,
  RedactingLogRecordProcessor,
  RedactingSpanProcessor,
  type Redactor,
  type RedactorOptions,
} from '@mcptrail/redact';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { McptrailEnvOptions } from './env';
import { McptrailConfigError, REGISTER_ERRORS } from './errors';

/** `MCPTRAIL_HMAC_KEY`, `_HMAC_KEY_ID`, `_REDACT_KEYS`, `_REDACT_DISABLE` → RedactorOptions. */
export function redactorOptionsFromEnv(settings: McptrailEnvOptions): RedactorOptions {
  const options: RedactorOptions = {};
  if (settings.hmacKey !== undefined) options.hmacKey = settings.hmacKey;
  if (settings.hmacKeyId !== undefined) options.hmacKeyId = settings.hmacKeyId;
  if (settings.redactKeys.length > 0) options.keys = settings.redactKeys;
  if (settings.redactDisable.length > 0) options.disable = settings.redactDisable;
  return options;
}

/**
 * The one redactor of the process. If the redactor rejects the env-derived
 * options (e.g. an unknown rule in MCPTRAIL_REDACT_DISABLE) the error is reported
 * and the fail-closed defaults are used instead.
 */
export function buildEnvRedactor(settings: McptrailEnvOptions, report: (error: McptrailConfigError) => void): Redactor {
  try {
    return createRedactor(redactorOptionsFromEnv(settings));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    report(new McptrailConfigError('MCPTRAIL_ERR_ENV_REDACTION', 'MCPTRAIL_REDACT_*', REGISTER_ERRORS.MCPTRAIL_ERR_ENV_REDACTION('MCPTRAIL_REDACT_*', message)));
    return createRedactor({});
  }
}

export function redactingProcessors(redactor: Redactor): { span: SpanProcessor; log: LogRecordProcessor } {
  return { span: new RedactingSpanProcessor(redactor), log: new RedactingLogRecordProcessor(redactor) };
}
