// `node --import @mcptrail/register server.mjs`: as index.js, through the ESM entry (which also
// registers the loader hook that lets ES modules of the MCP SDK be patched).
import { createRequire } from 'node:module';

globalThis[Symbol.for('mcptrail.register.sdk-require')] = createRequire(import.meta.url);
await import('@mcptrail/instrumentation-mcp/register.mjs');
