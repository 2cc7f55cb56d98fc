/**
 * `node --require @mcptrail/instrumentation-mcp/register server.js`
 *
 * Starts OpenTelemetry with the MCP instrumentation from `OTEL_*` and `MCPTRAIL_*`
 * environment variables. It never throws into the host and never writes to stdout:
 * on failure it prints one "mcptrail: not instrumented: …" line to stderr.
 */
import { reportNotInstrumented } from './sdk/diag-logger';
import { startMcptrail } from './sdk/start';

try {
  startMcptrail();
} catch (error) {
  reportNotInstrumented(error);
}
