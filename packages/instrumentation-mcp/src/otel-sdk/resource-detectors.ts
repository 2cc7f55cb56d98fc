import { ATTR_PROCESS_COMMAND_ARGS, ATTR_PROCESS_COMMAND_LINE } from '@mcptrail/conventions';
import type * as Resources from '@opentelemetry/resources';
import type { DetectedResource, ResourceDetector } from '@opentelemetry/resources';
import { sdkRequire } from './sdk-packages';

/** Command lines often carry tokens (`--api-key=…`): never put them on the resource. */
const OMITTED = new Set<string>([ATTR_PROCESS_COMMAND_ARGS, ATTR_PROCESS_COMMAND_LINE]);

const processWithoutCommandLine = (processDetector: ResourceDetector): ResourceDetector => ({
  detect(config): DetectedResource {
    const detected = processDetector.detect(config);
    const attributes = Object.fromEntries(Object.entries(detected.attributes ?? {}).filter(([key]) => !OMITTED.has(key)));
    return { ...detected, attributes };
  },
});

/** What a resource attribute may be redacted with (a Redactor's `redactAttributes`). */
export interface AttributeRedactor {
  redactAttributes(attrs: Record<string, unknown>): { value: Record<string, unknown> };
}

/**
 * Resource attributes go out with every span, log and metric: `OTEL_RESOURCE_ATTRIBUTES` and
 * host or process values pass through the redactor (a token put there is masked, a removed
 * attribute stays removed), values that arrive later (promises) when they resolve.
 */
const redacted = (detector: ResourceDetector, redactor: AttributeRedactor): ResourceDetector => ({
  detect(config): DetectedResource {
    const detected = detector.detect(config);
    const attributes: Record<string, unknown> = {};
    const one = (key: string, value: unknown) => redactor.redactAttributes({ [key]: value }).value[key];
    for (const [key, value] of Object.entries(detected.attributes ?? {})) {
      const out = value !== null && typeof (value as { then?: unknown } | undefined)?.then === 'function' ? (value as Promise<unknown>).then((v) => one(key, v)) : one(key, value);
      if (out !== undefined) attributes[key] = out;
    }
    return { ...detected, attributes: attributes as DetectedResource['attributes'] };
  },
});

/**
 * The NodeSDK defaults (env, process, host) minus the command line, redacted. Used unless
 * `OTEL_NODE_RESOURCE_DETECTORS` is set, in which case NodeSDK's own handling applies.
 */
export function defaultResourceDetectors(redactor?: AttributeRedactor): ResourceDetector[] {
  const { envDetector, hostDetector, processDetector } = sdkRequire<typeof Resources>('@opentelemetry/resources');
  const detectors = [envDetector, processWithoutCommandLine(processDetector), hostDetector];
  return redactor === undefined ? detectors : detectors.map((d) => redacted(d, redactor));
}
