export { McpInstrumentation, SDK_MODULES, SDK_V2_PACKAGES, type SdkModuleName } from './instrumentation';
export { toolSchemaVersion, type AdvertisedTool } from './tool-schema';
export { McpInstrumentationError, MCP_INSTRUMENTATION_ERRORS, type McpInstrumentationErrorCode } from './errors';
export { OLDEST_SUPPORTED_SDK, PACKAGE_NAME, PACKAGE_VERSION, SUPPORTED_SDK_V2_VERSIONS, SUPPORTED_SDK_VERSIONS } from './version';
export type {
  McpClientAuditMode,
  McpIgnoreRequestHook,
  McpInstrumentationConfig,
  McpRequestHook,
  McpRequestHookInfo,
  McpRequestLike,
  McpResponseHook,
  McpResponseHookInfo,
  McpSpanSide,
} from './types';
