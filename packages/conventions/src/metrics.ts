/** Metric names and the semantic-conventions bucket boundaries for MCP operation durations. */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration' as const;
export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration' as const;
/** Spans or log records the instrumentation's export queue dropped (an audit product must count its losses). */
export const METRIC_MCPTRAIL_TELEMETRY_DROPPED = 'mcptrail.telemetry.dropped' as const;

/** Seconds. The bucket boundaries the MCP semantic conventions recommend for operation durations. */
export const MCP_DURATION_BUCKETS_SECONDS = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
] as const;
