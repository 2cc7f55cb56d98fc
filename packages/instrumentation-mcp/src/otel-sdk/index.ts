/** `@mcptrail/instrumentation-mcp/otel-sdk`: what `register` does, callable from code. */
export { startMcptrail, type McptrailSdk, type StartMcptrailOptions } from './start';
export { ENV_DEFAULTS, type McptrailEnvOptions } from './env';
export { McptrailConfigError, REGISTER_ERRORS, type RegisterErrorCode } from './errors';
export { StderrDiagLogger } from './diag-logger';
export { DropCounter, type TelemetrySignal } from './drop-counter';
