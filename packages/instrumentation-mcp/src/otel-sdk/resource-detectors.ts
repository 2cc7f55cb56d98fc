import { ATTR_PROCESS_COMMAND_ARGS, ATTR_PROCESS_COMMAND_LINE } from '@mcptrail/conventions';
import {
  type DetectedResource,
  envDetector,
  hostDetector,
  processDetector,
  type ResourceDetector,
} from '@opentelemetry/resources';

/** Command lines often carry tokens (`--api-key=…`): never put them on the resource. */
const OMITTED = new Set<string>([ATTR_PROCESS_COMMAND_ARGS, ATTR_PROCESS_COMMAND_LINE]);

const processWithoutCommandLine: ResourceDetector = {
  detect(config): DetectedResource {
    const detected = processDetector.detect(config);
    const attributes = Object.fromEntries(Object.entries(detected.attributes ?? {}).filter(([key]) => !OMITTED.has(key)));
    return { ...detected, attributes };
  },
};

/**
 * The NodeSDK defaults (env, process, host) minus the command line. Used unless
 * `OTEL_NODE_RESOURCE_DETECTORS` is set, in which case NodeSDK's own handling applies.
 */
export function defaultResourceDetectors(): ResourceDetector[] {
  return [envDetector, processWithoutCommandLine, hostDetector];
}
