'use strict';
// The MCP server and client every instrumentation bench worker drives: a real McpServer with one typical
// tool (plus `extraTools` small ones) and a real Client, linked by the SDK's InMemoryTransport.
const { context, ROOT_CONTEXT } = require('@opentelemetry/api');

// A typical tool call: a few scalar fields, one nested object, one value the redactor masks.
const ARGS = { orderId: 'A-1042', include: ['items', 'shipping'], customer: { email: 'jane.doe@example.com', tier: 'gold' }, limit: 10 };

/** InMemoryTransport delivers synchronously: cut the caller's context so only `_meta` links the sides. */
function isolate(transport) {
  let handler;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set(fn) {
      handler = fn && ((...args) => context.with(ROOT_CONTEXT, () => fn(...args)));
    },
  });
  return transport;
}

/** `sdk`: { McpServer, Client, InMemoryTransport } of one SDK copy; `v2`: its schemas are zod objects. */
async function connectPair(sdk, z, { v2, extraTools = 0 }) {
  const shape = v2 ? z.object : (s) => s;
  const server = new sdk.McpServer({ name: 'bench-orders', version: '1.0.0' });
  server.registerTool(
    'lookup_order',
    {
      description: 'Look up an order by id',
      inputSchema: shape({
        orderId: z.string(),
        include: z.array(z.string()).optional(),
        customer: z.object({ email: z.string(), tier: z.string() }).optional(),
        limit: z.number().optional(),
      }),
      annotations: { readOnlyHint: true },
    },
    async (args) => ({ content: [{ type: 'text', text: `order ${args.orderId}: shipped, 2 items` }] }),
  );
  const toolSchema = shape({ id: z.string(), limit: z.number().optional() });
  for (let i = 0; i < extraTools; i++) {
    server.registerTool(`tool_${i}`, { description: `Tool number ${i}`, inputSchema: toolSchema }, async () => ({ content: [] }));
  }
  const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
  isolate(clientTransport);
  isolate(serverTransport);
  await server.connect(serverTransport);
  const client = new sdk.Client({ name: 'bench-agent', version: '1.0.0' });
  await client.connect(clientTransport);
  await client.listTools();
  return { server, client };
}

module.exports = { ARGS, connectPair, isolate };
