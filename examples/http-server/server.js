'use strict';
/**
 * A Streamable HTTP MCP server for a team workspace: files, reports and outbound email, behind
 * bearer-token auth with per-tool scopes. No telemetry code here: start it with
 *   node --require @mcptrail/instrumentation-mcp/register server.js
 *
 * PORT (default 0 = ephemeral) and HOST (default 127.0.0.1). The URL is printed to stderr as
 *   workspace-http listening on http://127.0.0.1:<port>/mcp
 */
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { CallToolRequestSchema, McpError, isInitializeRequest } = require('@modelcontextprotocol/sdk/types.js');
const z = require('zod');
const { clientForToken } = require('./tokens.js');

const SERVER_NAME = 'workspace-http';
const SERVER_VERSION = '2.1.0';
const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 1024 * 1024;
/** JSON-RPC error code for "authenticated, but not allowed" (implementation-defined server range). */
const FORBIDDEN = -32003;

/** The scope each tool needs. A call without it is refused before the tool runs. */
const TOOL_SCOPES = { list_files: 'files:read', run_report: 'reports:run', send_email: 'email:send' };

const FILES = {
  '/': ['reports/', 'handbook.md', 'oncall.md'],
  '/reports': ['q3-churn.csv', 'weekly-tickets.csv'],
};
const outbox = [];

const text = (value) => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] });

function buildServer() {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });

  server.registerTool(
    'list_files',
    {
      description: 'List the files of a workspace folder.',
      inputSchema: { path: z.string().default('/') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ path }) => {
      const entries = FILES[path.replace(/\/+$/, '') || '/'];
      return entries ? text({ path, entries }) : { content: [{ type: 'text', text: `no such folder: ${path}` }], isError: true };
    },
  );

  server.registerTool(
    'run_report',
    {
      description: 'Run a named report and return its summary.',
      inputSchema: { report: z.enum(['weekly-tickets', 'q3-churn']), team: z.string().optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ report, team }) => text({ report, team: team ?? 'all', rows: report === 'weekly-tickets' ? 42 : 7 }),
  );

  server.registerTool(
    'send_email',
    {
      description: 'Send an email on behalf of the workspace (external delivery).',
      inputSchema: { to: z.string(), subject: z.string(), body: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async ({ to, subject }) => {
      // Demo: queued in memory, never delivered.
      outbox.push({ to, subject });
      return text({ queued: true, to, id: `msg-${outbox.length}` });
    },
  );

  guardToolScopes(server);
  return server;
}

/**
 * Refuse tools/call when the caller's token lacks the tool's scope, with a JSON-RPC error (not a
 * tool result), so the refusal is visible as such. McpServer has no per-tool authorization hook,
 * so we wrap the tools/call handler it registered.
 */
function guardToolScopes(server) {
  const handlers = server.server._requestHandlers;
  const callTool = handlers.get('tools/call');
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const needed = TOOL_SCOPES[request.params.name];
    const granted = extra.authInfo?.scopes ?? [];
    if (needed && !granted.includes(needed)) {
      throw new McpError(FORBIDDEN, `Forbidden: tool '${request.params.name}' requires scope '${needed}'`);
    }
    return callTool(request, extra);
  });
}

/** Sessions by id: each MCP session has its own transport and server instance. */
const sessions = new Map();

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('request body is not JSON'), { status: 400 });
  }
}

function sendJsonRpcError(res, status, message, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (url.pathname !== MCP_PATH) {
    res.writeHead(404).end();
    return;
  }
  const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  const client = auth ? clientForToken(auth[1]) : undefined;
  if (!client) {
    sendJsonRpcError(res, 401, 'Unauthorized: missing or unknown bearer token', {
      'www-authenticate': 'Bearer realm="workspace-http", error="invalid_token"',
    });
    return;
  }
  // What the SDK hands to tool handlers as `extra.authInfo`.
  req.auth = { token: auth[1], clientId: client.clientId, scopes: client.scopes };

  const sessionId = req.headers['mcp-session-id'];
  let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
  if (typeof sessionId === 'string' && !transport) {
    sendJsonRpcError(res, 404, 'Session not found');
    return;
  }
  if (req.method === 'POST') {
    const body = await readJson(req);
    if (!transport) {
      if (!isInitializeRequest(body)) {
        sendJsonRpcError(res, 400, 'Bad Request: no session; send initialize first');
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await buildServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
    return;
  }
  if (!transport) {
    sendJsonRpcError(res, 400, 'Bad Request: mcp-session-id header required');
    return;
  }
  // GET (server-to-client stream) and DELETE (end of session).
  await transport.handleRequest(req, res);
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`${SERVER_NAME}: ${err.message}\n`);
    if (!res.headersSent) sendJsonRpcError(res, err.status ?? 500, err.status ? err.message : 'Internal error');
    else res.end();
  });
});

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
httpServer.listen(port, host, () => {
  const address = httpServer.address();
  process.stderr.write(`${SERVER_NAME} ${SERVER_VERSION} listening on http://${host}:${address.port}${MCP_PATH}\n`);
});

function shutdown() {
  for (const transport of sessions.values()) void transport.close();
  httpServer.close();
  httpServer.closeAllConnections?.();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
