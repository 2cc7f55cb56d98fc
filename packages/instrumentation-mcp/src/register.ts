/**
 * `node --require @mcptrail/instrumentation-mcp/register server.js`
 *
 * Starts OpenTelemetry with the MCP instrumentation from `OTEL_*` and `MCPTRAIL_*`
 * environment variables. It never throws into the host and never writes to stdout:
 * on failure it prints one "mcptrail: not instrumented: …" line to stderr, and one "mcptrail warn: …" line
 * for each MCP SDK it cannot patch (unsupported version, ESM build under --require only, bundled copy).
 */
import { reportNotInstrumented } from './otel-sdk/not-instrumented';

try {
  // Required inside the try: a broken or partial install must not take the host down.
  const { startMcptrail } = require('./otel-sdk/start') as typeof import('./otel-sdk/start');
  if (startMcptrail()) {
    // What the module hooks cannot see (an ESM app under --require, a bundled SDK): one warning each.
    (require('./mcp-sdk/unpatched') as typeof import('./mcp-sdk/unpatched')).checkUnpatchableSdks();
  }
} catch (error) {
  reportNotInstrumented(error);
}
