// A user's app in an empty project: its own OpenTelemetry NodeSDK (whichever line is installed) with
// `new McpInstrumentation()`, or (APP_MODE=register) nothing but `--require @mcptrail/register`.
// An MCP server and client over the SDK's in-memory transport make one tool call.
'use strict';
const path = require('node:path');

async function main() {
  let sdk;
  if (process.env.APP_MODE !== 'register') {
    const { NodeSDK } = require('@opentelemetry/sdk-node');
    const { McpInstrumentation } = require('@mcptrail/instrumentation-mcp');
    sdk = new NodeSDK({ instrumentations: [new McpInstrumentation()] });
    sdk.start();
  }
  // Required after the SDK started, as in any app that starts OpenTelemetry from code.
  const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
  const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
  const { InMemoryTransport } = require('@modelcontextprotocol/sdk/inMemory.js');
  const { z } = require('zod');
  const server = new McpServer({ name: 'install-check', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  const client = new Client({ name: 'install-client', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  process.stderr.write(`app: ${JSON.stringify(result.content)} otel-sdk-node ${sdkNodeVersion()}\n`);
  await client.close();
  await sdk?.shutdown();
}

main().catch((error) => {
  process.stderr.write(`app failed: ${error.stack}\n`);
  process.exitCode = 1;
});

/** 3.x packages export no `./package.json`: find it beside the resolved entry. */
function sdkNodeVersion() {
  let dir = path.dirname(require.resolve('@opentelemetry/sdk-node'));
  while (path.basename(dir) !== 'sdk-node') dir = path.dirname(dir);
  return require(path.join(dir, 'package.json')).version;
}
