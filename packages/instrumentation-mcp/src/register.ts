/**
 * `node --require @mcptrail/instrumentation-mcp/register server.js`
 *
 * Starts OpenTelemetry with the MCP instrumentation from `OTEL_*` and `MCPTRAIL_*`
 * environment variables. It never throws into the host and never writes to stdout:
 * on failure it prints one "mcptrail: not instrumented: …" line to stderr.
 */
import { reportNotInstrumented } from './sdk/not-instrumented';

try {
  // Required inside the try: a broken or partial install must not take the host down.
  const { startMcptrail } = require('./sdk/start') as typeof import('./sdk/start');
  startMcptrail();
} catch (error) {
  reportNotInstrumented(error);
}
