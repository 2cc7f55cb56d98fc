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

/**
 * The NodeSDK defaults (env, process, host) minus the command line. Used unless
 * `OTEL_NODE_RESOURCE_DETECTORS` is set, in which case NodeSDK's own handling applies.
 */
export function defaultResourceDetectors(): ResourceDetector[] {
  const { envDetector, hostDetector, processDetector } = sdkRequire<typeof Resources>('@opentelemetry/resources');
  return [envDetector, processWithoutCommandLine(processDetector), hostDetector];
}
