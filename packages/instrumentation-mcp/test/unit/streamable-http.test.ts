/**
 * The real Streamable HTTP transports on 127.0.0.1 (ephemeral port), in process: the session id comes from
 * the transport and is the same on both sides, the caller identity from the bearer-auth `req.auth`.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  EVENT_MCP_AUDIT_TOOL_CALL,
} from '@mcptrail/conventions';
import { createHarness, loadSdk, settle, spanOf } from './helpers/harness';

const h = createHarness();
const sdk = loadSdk('current', h.instrumentation);
const nodeRequire = createRequire(import.meta.url);
const { StreamableHTTPServerTransport } = nodeRequire('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { StreamableHTTPClientTransport } = nodeRequire('@modelcontextprotocol/sdk/client/streamableHttp.js');

const BEARER = 'tok_live_http_SECRET_0123456789';
let httpServer: http.Server;
let url: URL;
const transports = new Map<string, any>();

beforeAll(async () => {
  httpServer = http.createServer(async (req, res) => {
    try {
      let body = '';
      for await (const chunk of req) body += chunk;
      // What a bearer-auth middleware does: verify the token, then hand the SDK an AuthInfo.
      if (req.headers.authorization !== `Bearer ${BEARER}`) {
        res.writeHead(401).end();
        return;
      }
      (req as http.IncomingMessage & { auth?: unknown }).auth = { token: BEARER, clientId: 'agent-http', scopes: ['mcp:tools', 'mcp:read'] };
      const sessionId = req.headers['mcp-session-id'];
      let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
      if (!transport) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id: string) => transports.set(id, transport),
        });
        const server = new sdk.McpServer({ name: 'http-server', version: '3.0.0' });
        server.tool('add', 'Adds', { a: sdk.z.number(), b: sdk.z.number() }, async ({ a, b }: { a: number; b: number }) => ({
          content: [{ type: 'text', text: String(a + b) }],
        }));
        await server.connect(transport);
      }
      await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`);
});

afterAll(async () => {
  for (const t of transports.values()) await t.close().catch(() => undefined);
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
  h.instrumentation.disable();
});

describe('Streamable HTTP', () => {
  it('uses the transport session id on both sides and the bearer identity, never the token', async () => {
    const client = new sdk.Client({ name: 'http-agent', version: '1' });
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${BEARER}` } } });
    await client.connect(transport);
    h.reset();
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(result.content[0].text).toBe('5');
    await settle();

    const serverSpan = spanOf(h.spans(), 'tools/call add', SpanKind.SERVER);
    const clientSpan = spanOf(h.spans(), 'tools/call add', SpanKind.CLIENT);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(serverSpan.attributes[ATTR_MCP_SESSION_ID]).toBe(transport.sessionId);
    expect(clientSpan.attributes[ATTR_MCP_SESSION_ID]).toBe(transport.sessionId);
    for (const span of [serverSpan, clientSpan]) expect(span.attributes[ATTR_NETWORK_TRANSPORT]).toBe('tcp');
    expect(clientSpan.attributes[ATTR_SERVER_ADDRESS]).toBe('127.0.0.1');
    expect(clientSpan.attributes[ATTR_SERVER_PORT]).toBe(Number(url.port));
    expect(serverSpan.attributes[ATTR_ENDUSER_ID]).toBe('agent-http');
    expect(serverSpan.attributes[ATTR_ENDUSER_SCOPE]).toBe('mcp:tools mcp:read');

    const audit = h.logs().find((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.attributes['mcp.side'] === 'server');
    expect(audit?.attributes[ATTR_ENDUSER_ID]).toBe('agent-http');
    expect(audit?.attributes[ATTR_MCP_SESSION_ID]).toBe(transport.sessionId);
    const everything = JSON.stringify([h.spans().map((s) => [s.name, s.attributes, s.events]), h.logs().map((l) => [l.body, l.attributes])]);
    expect(everything).not.toContain(BEARER);
    await client.close();
  });

  it('records a rejected bearer token as a denied call on the client side', async () => {
    const client = new sdk.Client({ name: 'http-agent', version: '1' });
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: 'Bearer wrong' } } });
    h.reset();
    await expect(client.connect(transport)).rejects.toThrow();
    await settle();
    const span = spanOf(h.spans(), 'initialize', SpanKind.CLIENT);
    expect(span.status.code).toBe(2);
    const audit = h.logs().find((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.attributes['mcp.side'] === 'client');
    expect(audit?.attributes['mcp.audit.outcome']).toBe('denied');
    expect(h.spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(0);
  });
});
