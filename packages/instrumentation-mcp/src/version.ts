/** Instrumentation scope name and version (kept in step with package.json by a unit test). */
export const PACKAGE_NAME = '@mcptrail/instrumentation-mcp';
export const PACKAGE_VERSION = '0.1.0';
/** SDK versions whose internals (Protocol, McpServer) this instrumentation patches. */
export const SUPPORTED_SDK_VERSIONS = ['>=1.13.0 <2'];
/** `@modelcontextprotocol/server` and `@modelcontextprotocol/client` versions (2.x adapter). */
export const SUPPORTED_SDK_V2_VERSIONS = ['>=2.0.0 <3'];
/** The oldest SDK the tests run against (devDependency `mcp-sdk-oldest`): it merges `_meta` with progress tokens. */
export const OLDEST_SUPPORTED_SDK = '1.13.0';
