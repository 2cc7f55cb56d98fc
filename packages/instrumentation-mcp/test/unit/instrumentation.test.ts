import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ENDUSER_ID,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_AUDIT_DURATION_MS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_AUDIT_SCHEMA_VERSION,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_NAME,
  ATTR_MCP_TOOL_READ_ONLY_HINT,
  ATTR_MCP_TOOL_RESULT_CONTENT_COUNT,
  ATTR_MCP_TOOL_RESULT_CONTENT_TYPES,
  ATTR_MCP_TOOL_RESULT_IS_ERROR,
  ATTR_MCP_TOOL_RESULT_SIZE,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  AUDIT_SCHEMA_VERSION,
  EVENT_MCP_AUDIT_TOOL_CALL,
  EVENT_MCP_TOOL_DEFINITION,
  EVENT_MCP_TOOLS_LIST_CHANGED,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} from '@mcptrail/conventions';
import { activeSpanId, connectPair, createHarness, loadSdk, settle, spanOf, type Sdk } from './helpers/harness';

const h = createHarness();
const hasOldest = (() => {
  try {
    createRequire(import.meta.url).resolve('mcp-sdk-oldest/server/mcp.js');
    return true;
  } catch {
    return false;
  }
})();
const variants: ('current' | 'oldest')[] = hasOldest ? ['current', 'oldest'] : ['current'];

interface Seen {
  span?: string;
  meta?: Record<string, unknown>;
}

/** A server exercising every request type, with tools that succeed, fail, throw and deny. */
function buildServer(sdk: Sdk, seen: Seen[] = [], info = { name: 'weather', version: '1.2.3' }) {
  const { z } = sdk;
  const server = new sdk.McpServer(info);
  server.tool(
    'get_weather',
    'Weather for a city',
    { city: z.string() },
    { readOnlyHint: true },
    async ({ city }: { city: string }, extra: { _meta?: Record<string, unknown> }) => {
      seen.push({ span: activeSpanId(), meta: extra._meta });
      return { content: [{ type: 'text', text: `sunny in ${city}` }] };
    },
  );
  server.tool('fails', 'Returns isError', async () => ({ isError: true, content: [{ type: 'text', text: 'upstream unavailable' }] }));
  server.tool('throws', 'Throws', async () => {
    throw new Error('kaboom');
  });
  server.tool('forbidden', 'Denies', async () => {
    const err = new Error('you may not');
    err.name = 'ForbiddenError';
    throw err;
  });
  server.tool('asks', 'Sends requests back to the client', async () => {
    await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'q' } }], maxTokens: 5 });
    await server.server.listRoots();
    if (sdk.types.ElicitRequestSchema) {
      await server.server.elicitInput({ message: 'name?', requestedSchema: { type: 'object', properties: {} } });
    }
    return { content: [{ type: 'text', text: 'asked' }] };
  });
  server.resource('readme', 'file:///readme.md', async (uri: URL) => ({ contents: [{ uri: uri.href, text: '# hi' }] }));
  const { ResourceTemplate } = createRequire(import.meta.url)(
    `${sdk.label.startsWith('current') ? '@modelcontextprotocol/sdk' : 'mcp-sdk-oldest'}/server/mcp.js`,
  );
  server.resource(
    'files',
    new ResourceTemplate('file:///files/{name}', { list: undefined, complete: { name: () => ['a.txt', 'b.txt'] } }),
    async (uri: URL) => ({ contents: [{ uri: uri.href, text: 'x' }] }),
  );
  server.prompt('review', 'Review code', { code: z.string() }, ({ code }: { code: string }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: code } }],
  }));
  return server;
}

function clientCapabilities(sdk: Sdk) {
  const capabilities: Record<string, unknown> = { sampling: {}, roots: { listChanged: true } };
  if (sdk.types.ElicitRequestSchema) capabilities['elicitation'] = { form: {} };
  return { capabilities };
}

function answerServerRequests(sdk: Sdk, client: any) {
  client.setRequestHandler(sdk.types.CreateMessageRequestSchema, async () => ({
    model: 'm',
    role: 'assistant',
    content: { type: 'text', text: 'a' },
  }));
  client.setRequestHandler(sdk.types.ListRootsRequestSchema, async () => ({ roots: [] }));
  if (sdk.types.ElicitRequestSchema) {
    client.setRequestHandler(sdk.types.ElicitRequestSchema, async () => ({ action: 'decline' }));
  }
}

const serverLogs = (event: string) =>
  h.logs().filter((l) => l.eventName === event && l.attributes[ATTR_MCP_SIDE] === 'server');

afterAll(() => h.instrumentation.disable());

describe.each(variants)('SDK %s', (which) => {
  const sdk = loadSdk(which, h.instrumentation);

  beforeEach(() => {
    h.reset();
    h.instrumentation.setConfig({});
  });

  it('creates one CLIENT and one SERVER span per request, linked only through params._meta', async () => {
    const server = buildServer(sdk);
    const { client, close } = await connectPair(sdk, server);
    await client.ping();
    await client.listTools();
    await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    await client.listResources();
    await client.readResource({ uri: 'file:///readme.md' });
    await client.listResourceTemplates();
    await client.listPrompts();
    await client.getPrompt({ name: 'review', arguments: { code: 'x' } });
    await client.complete({
      ref: { type: 'ref/resource', uri: 'file:///files/{name}' },
      argument: { name: 'name', value: 'a' },
    });
    await settle();
    const spans = h.spans();
    const expected: [string, string][] = [
      ['initialize', 'initialize'],
      ['ping', 'ping'],
      ['tools/list', 'tools/list'],
      ['tools/call', 'tools/call get_weather'],
      ['resources/list', 'resources/list'],
      ['resources/read', 'resources/read file:///readme.md'],
      ['resources/templates/list', 'resources/templates/list'],
      ['prompts/list', 'prompts/list'],
      ['prompts/get', 'prompts/get review'],
      ['completion/complete', 'completion/complete file:///files/{name}'],
    ];
    expect(spans).toHaveLength(expected.length * 2);
    const serverSessions = new Set<unknown>();
    const clientSessions = new Set<unknown>();
    for (const [method, name] of expected) {
      const c = spanOf(spans, name, SpanKind.CLIENT);
      const s = spanOf(spans, name, SpanKind.SERVER);
      expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
      expect(s.parentSpanContext?.spanId).toBe(c.spanContext().spanId);
      expect(c.parentSpanContext).toBeUndefined();
      for (const span of [c, s]) {
        expect(span.attributes[ATTR_MCP_METHOD_NAME]).toBe(method);
        expect(span.attributes[ATTR_NETWORK_TRANSPORT]).toBe('inproc');
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        expect(span.attributes[ATTR_MCP_PROTOCOL_VERSION]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(span.attributes[ATTR_MCP_SERVER_NAME]).toBe('weather');
        expect(span.attributes[ATTR_MCP_SERVER_VERSION]).toBe('1.2.3');
        expect(span.attributes[ATTR_MCP_CLIENT_NAME]).toBe('test-client');
        expect(span.attributes[ATTR_MCP_CLIENT_VERSION]).toBe('9.9.9');
      }
      expect(c.attributes[ATTR_MCP_SIDE]).toBe('client');
      expect(s.attributes[ATTR_MCP_SIDE]).toBe('server');
      expect(s.attributes[ATTR_JSONRPC_REQUEST_ID]).toBe(c.attributes[ATTR_JSONRPC_REQUEST_ID]);
      serverSessions.add(s.attributes[ATTR_MCP_SESSION_ID]);
      clientSessions.add(c.attributes[ATTR_MCP_SESSION_ID]);
    }
    // One generated session id per connection and side, so every call groups.
    expect(serverSessions.size).toBe(1);
    expect(clientSessions.size).toBe(1);
    expect([...serverSessions][0]).toMatch(/^[0-9a-f-]{36}$/);

    const call = spanOf(spans, 'tools/call get_weather', SpanKind.SERVER);
    expect(call.attributes[ATTR_GEN_AI_TOOL_NAME]).toBe('get_weather');
    expect(call.attributes[ATTR_GEN_AI_OPERATION_NAME]).toBe(GEN_AI_OPERATION_EXECUTE_TOOL);
    // Where each attribute is (README): the server's per-call payload is on the call's audit record, in the
    // span's context (the processor merges the two); the client span carries it for uninstrumented servers.
    const clientCall = spanOf(spans, 'tools/call get_weather', SpanKind.CLIENT);
    const record = h.logs().find((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.spanContext?.spanId === call.spanContext().spanId);
    expect(record).toBeDefined();
    for (const a of [record!.attributes, clientCall.attributes]) {
      expect(a[ATTR_MCP_TOOL_ARGUMENTS_HASH]).toMatch(/^hmac:[\w-]+:[0-9a-f]{64}$/);
      expect(a[ATTR_MCP_TOOL_ARGUMENTS_SIZE]).toBe(Buffer.byteLength('{"city":"Oslo"}'));
      expect(a[ATTR_MCP_TOOL_RESULT_CONTENT_COUNT]).toBe(1);
      expect(a[ATTR_MCP_TOOL_RESULT_CONTENT_TYPES]).toEqual(['text']);
      expect(a[ATTR_MCP_TOOL_RESULT_IS_ERROR]).toBe(false);
      expect(a[ATTR_MCP_TOOL_RESULT_SIZE]).toBeGreaterThan(0);
    }
    expect(clientCall.attributes[ATTR_MCP_TOOL_ARGUMENTS_HASH]).toBe(record!.attributes[ATTR_MCP_TOOL_ARGUMENTS_HASH]);
    // Per-tool constants: the name twice and the annotation hints live on the tool's definition record.
    const definition = h.logs().find((l) => l.eventName === EVENT_MCP_TOOL_DEFINITION && l.attributes[ATTR_MCP_TOOL_NAME] === 'get_weather');
    expect(definition?.attributes[ATTR_MCP_TOOL_READ_ONLY_HINT]).toBe(true);
    for (const span of [call, clientCall]) {
      expect(span.attributes[ATTR_MCP_TOOL_NAME]).toBeUndefined();
      expect(span.attributes[ATTR_MCP_TOOL_READ_ONLY_HINT]).toBeUndefined();
      // Under OpenTelemetry JS's 20-attribute step (twice the cost from 20 on).
      expect(Object.keys(span.attributes).length).toBeLessThan(20);
    }
    expect(Object.keys(record!.attributes).length).toBeLessThan(20);
    // Arguments are never on spans by default: hash and size only.
    expect(call.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
    expect(clientCall.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
    expect(spanOf(spans, 'resources/read file:///readme.md', SpanKind.SERVER).attributes[ATTR_MCP_RESOURCE_URI]).toBe(
      'file:///readme.md',
    );
    expect(spanOf(spans, 'prompts/get review', SpanKind.SERVER).attributes[ATTR_GEN_AI_PROMPT_NAME]).toBe('review');
    await close();
  });

  it('makes the client span a child of the caller span and runs the tool handler in the server span', async () => {
    const seen: Seen[] = [];
    const { client, close } = await connectPair(sdk, buildServer(sdk, seen));
    h.reset();
    const tracer = h.tracerProvider.getTracer('agent');
    await tracer.startActiveSpan('agent step', async (agent) => {
      await client.callTool({ name: 'get_weather', arguments: { city: 'Rome' } });
      agent.end();
    });
    await settle();
    const spans = h.spans();
    const agent = spans.find((s) => s.name === 'agent step')!;
    const c = spanOf(spans, 'tools/call get_weather', SpanKind.CLIENT);
    const s = spanOf(spans, 'tools/call get_weather', SpanKind.SERVER);
    expect(c.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(s.parentSpanContext?.spanId).toBe(c.spanContext().spanId);
    expect(new Set([agent, c, s].map((x) => x.spanContext().traceId)).size).toBe(1);
    expect(seen.at(-1)?.span).toBe(s.spanContext().spanId);
    expect(seen.at(-1)?.meta?.['traceparent']).toMatch(new RegExp(`^00-${c.spanContext().traceId}-${c.spanContext().spanId}-0[01]$`));
    await close();
  });

  it('does not mutate the caller params and keeps the caller _meta', async () => {
    const seen: Seen[] = [];
    const { client, close } = await connectPair(sdk, buildServer(sdk, seen));
    const params = { name: 'get_weather', arguments: { city: 'Lima' }, _meta: { custom: 'kept' } };
    const snapshot = structuredClone(params);
    await client.request({ method: 'tools/call', params }, sdk.types.CallToolResultSchema);
    expect(params).toEqual(snapshot);
    expect(seen.at(-1)?.meta?.['custom']).toBe('kept');
    expect(typeof seen.at(-1)?.meta?.['traceparent']).toBe('string');
    await close();
  });

  it('links the server span to nothing when the caller sent no trace context (no ambient leak)', async () => {
    h.instrumentation.setConfig({ ignoreRequestHook: (info) => info.side === 'client' });
    const seen: Seen[] = [];
    const { client, close } = await connectPair(sdk, buildServer(sdk, seen));
    h.reset();
    await h.tracerProvider.getTracer('agent').startActiveSpan('agent step', async (agent) => {
      await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
      agent.end();
    });
    await settle();
    const s = spanOf(h.spans(), 'tools/call get_weather', SpanKind.SERVER);
    expect(s.parentSpanContext).toBeUndefined();
    expect(h.spans().filter((x) => x.kind === SpanKind.CLIENT)).toHaveLength(0);
    expect(seen.at(-1)?.meta?.['traceparent']).toBeUndefined();
    await close();
  });

  it('continues a trace context and baggage a foreign caller put in _meta', async () => {
    h.instrumentation.setConfig({ ignoreRequestHook: (info) => info.side === 'client' });
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    h.reset();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const _meta = { traceparent: `00-${traceId}-b7ad6b7169203331-01`, baggage: 'tenant=acme' };
    await client.request(
      { method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'X' }, _meta } },
      sdk.types.CallToolResultSchema,
    );
    await settle();
    const s = spanOf(h.spans(), 'tools/call get_weather', SpanKind.SERVER);
    expect(s.spanContext().traceId).toBe(traceId);
    expect(s.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(s.parentSpanContext?.isRemote).toBe(true);
    await close();
  });

  it('marks isError results as tool_error on spans, metrics and the audit record', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    h.reset();
    await client.callTool({ name: 'fails', arguments: {} });
    await settle();
    for (const kind of [SpanKind.SERVER, SpanKind.CLIENT]) {
      const span = spanOf(h.spans(), 'tools/call fails', kind);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('tool_error');
      // The server's result summary is on its audit record (below).
      if (kind === SpanKind.CLIENT) expect(span.attributes[ATTR_MCP_TOOL_RESULT_IS_ERROR]).toBe(true);
      expect(span.attributes[ATTR_MCP_ERROR_MESSAGE]).toBe('upstream unavailable');
      expect(span.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBeUndefined();
    }
    const [audit] = serverLogs(EVENT_MCP_AUDIT_TOOL_CALL);
    expect(audit?.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('tool_error');
    expect(audit?.attributes[ATTR_ERROR_TYPE]).toBe('tool_error');
    expect(audit?.attributes[ATTR_MCP_TOOL_RESULT_IS_ERROR]).toBe(true);
    expect(audit?.attributes[ATTR_MCP_ERROR_MESSAGE]).toBe('upstream unavailable');
    await close();
  });

  it('classifies a thrown error as tool_error and a thrown ForbiddenError as denied', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    h.reset();
    const thrown = await client.callTool({ name: 'throws', arguments: {} });
    const denied = await client.callTool({ name: 'forbidden', arguments: {} });
    expect(thrown.isError).toBe(true);
    expect(denied.isError).toBe(true);
    await settle();
    const outcomes = Object.fromEntries(
      serverLogs(EVENT_MCP_AUDIT_TOOL_CALL).map((l) => [l.attributes[ATTR_GEN_AI_TOOL_NAME], l.attributes[ATTR_MCP_AUDIT_OUTCOME]]),
    );
    expect(outcomes['throws']).toBe('tool_error');
    expect(outcomes['forbidden']).toBe('denied');
    const span = spanOf(h.spans(), 'tools/call throws', SpanKind.SERVER);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ATTR_MCP_ERROR_MESSAGE]).toContain('kaboom');
    await close();
  });

  it('records an unknown tool and a JSON-RPC error (unknown prompt) as errors on both sides', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    h.reset();
    const unknown = await client.callTool({ name: 'nope', arguments: {} }).catch((e: Error) => e);
    await expect(client.getPrompt({ name: 'missing' })).rejects.toThrow();
    await settle();
    const unknownSpan = spanOf(h.spans(), 'tools/call nope', SpanKind.SERVER);
    expect(unknownSpan.status.code).toBe(SpanStatusCode.ERROR);
    // SDK versions differ: an isError result (newer) or a JSON-RPC error (older).
    if (unknown instanceof Error) expect(unknownSpan.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBe('-32602');
    else expect(unknownSpan.attributes[ATTR_ERROR_TYPE]).toBe('tool_error');
    for (const kind of [SpanKind.SERVER, SpanKind.CLIENT]) {
      const span = spanOf(h.spans(), 'prompts/get missing', kind);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBe('-32602');
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('-32602');
      expect(String(span.attributes[ATTR_MCP_ERROR_MESSAGE])).toContain('missing');
    }
    const failed = serverLogs(EVENT_MCP_AUDIT_TOOL_CALL).find((l) => l.attributes[ATTR_MCP_METHOD_NAME] === 'prompts/get');
    expect(failed?.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('error');
    // The server answered, so the client side adds no record of its own by default.
    expect(h.logs().filter((l) => l.attributes[ATTR_MCP_SIDE] === 'client' && l.eventName === EVENT_MCP_AUDIT_TOOL_CALL)).toHaveLength(0);
    await close();
  });

  it('classifies denials from low-level handlers by error class, message and deniedErrorCodes', async () => {
    h.instrumentation.setConfig({ deniedErrorCodes: [-32010] });
    const server = new sdk.Server({ name: 'low', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(sdk.types.ListToolsRequestSchema, async () => ({ tools: [] }));
    server.setRequestHandler(sdk.types.CallToolRequestSchema, async (req: { params: { name: string } }) => {
      if (req.params.name === 'coded') throw new sdk.types.McpError(-32010, 'policy says no');
      if (req.params.name === 'classed') {
        const err = new Error('nope');
        err.name = 'UnauthorizedError';
        throw err;
      }
      if (req.params.name === 'errno') throw Object.assign(new Error('open /etc/shadow'), { code: 'EACCES' });
      throw new Error('plain failure');
    });
    const { client, close } = await connectPair(sdk, server);
    h.reset();
    for (const name of ['coded', 'classed', 'errno', 'plain']) {
      await client.callTool({ name, arguments: {} }).catch(() => undefined);
    }
    await settle();
    const outcome = (name: string) =>
      serverLogs(EVENT_MCP_AUDIT_TOOL_CALL).find((l) => l.attributes[ATTR_GEN_AI_TOOL_NAME] === name)?.attributes[ATTR_MCP_AUDIT_OUTCOME];
    expect(outcome('coded')).toBe('denied');
    expect(outcome('classed')).toBe('denied');
    expect(outcome('errno')).toBe('denied');
    expect(outcome('plain')).toBe('error');
    expect(spanOf(h.spans(), 'tools/call coded', SpanKind.SERVER).attributes[ATTR_RPC_RESPONSE_STATUS_CODE]).toBe('-32010');
    await close();
  });

  it('emits one audit record per tool call, in the span context, with the audit fields', async () => {
    const server = buildServer(sdk);
    const { client, close } = await connectPair(sdk, server);
    h.reset();
    await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    await settle();
    const records = serverLogs(EVENT_MCP_AUDIT_TOOL_CALL);
    expect(records).toHaveLength(1);
    const [rec] = records;
    const span = spanOf(h.spans(), 'tools/call get_weather', SpanKind.SERVER);
    expect(rec!.spanContext?.traceId).toBe(span.spanContext().traceId);
    expect(rec!.spanContext?.spanId).toBe(span.spanContext().spanId);
    const a = rec!.attributes;
    expect(a[ATTR_MCP_AUDIT_SCHEMA_VERSION]).toBe(AUDIT_SCHEMA_VERSION);
    expect(a[ATTR_MCP_AUDIT_OUTCOME]).toBe('ok');
    expect(a[ATTR_MCP_SESSION_ID]).toBe(span.attributes[ATTR_MCP_SESSION_ID]);
    expect(a[ATTR_GEN_AI_TOOL_NAME]).toBe('get_weather');
    expect(JSON.parse(String(a[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]))).toEqual({ city: 'Oslo' });
    expect(a[ATTR_MCP_TOOL_ARGUMENTS_HASH]).toBe(spanOf(h.spans(), 'tools/call get_weather', SpanKind.CLIENT).attributes[ATTR_MCP_TOOL_ARGUMENTS_HASH]);
    expect(a[ATTR_MCP_TOOL_RESULT_CONTENT_COUNT]).toBe(1);
    expect(a[ATTR_MCP_TOOL_RESULT_CONTENT_TYPES]).toEqual(['text']);
    expect(a[ATTR_MCP_TOOL_RESULT_IS_ERROR]).toBe(false);
    // Per-session constants ride on the exported span of the same call (the processor merges the two);
    // an unsampled span's record carries them itself (attribute-placement.test.ts).
    expect(span.attributes[ATTR_MCP_CLIENT_NAME]).toBe('test-client');
    expect(span.attributes[ATTR_MCP_CLIENT_VERSION]).toBe('9.9.9');
    expect(span.attributes[ATTR_MCP_SERVER_NAME]).toBe('weather');
    expect(span.attributes[ATTR_MCP_SERVER_VERSION]).toBe('1.2.3');
    expect(a[ATTR_MCP_CLIENT_NAME]).toBeUndefined();
    expect(a[ATTR_MCP_TOOL_SCHEMA_VERSION]).toBe(span.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION]);
    expect(typeof a[ATTR_MCP_AUDIT_DURATION_MS]).toBe('number');
    expect(rec!.hrTime[0]).toBe(span.startTime[0]);
    // The body is a summary without argument values.
    expect(String(rec!.body)).toContain('tools/call get_weather');
    expect(String(rec!.body)).not.toContain('Oslo');
    // Non-tool requests that succeed are not audited.
    await client.listTools();
    await settle();
    expect(serverLogs(EVENT_MCP_AUDIT_TOOL_CALL)).toHaveLength(1);
    await close();
  });

  it('flips kinds for sampling, roots and elicitation requests sent by the server', async () => {
    const server = buildServer(sdk);
    const { client, close } = await connectPair(sdk, server, clientCapabilities(sdk));
    answerServerRequests(sdk, client);
    h.reset();
    await client.callTool({ name: 'asks', arguments: {} });
    await settle();
    const spans = h.spans();
    const toolSpan = spanOf(spans, 'tools/call asks', SpanKind.SERVER);
    const methods = ['sampling/createMessage', 'roots/list', ...(sdk.types.ElicitRequestSchema ? ['elicitation/create'] : [])];
    for (const method of methods) {
      const onServer = spanOf(spans, method, SpanKind.CLIENT);
      const onClient = spanOf(spans, method, SpanKind.SERVER);
      expect(onServer.attributes[ATTR_MCP_SIDE]).toBe('client');
      expect(onServer.parentSpanContext?.spanId).toBe(toolSpan.spanContext().spanId);
      expect(onClient.parentSpanContext?.spanId).toBe(onServer.spanContext().spanId);
      expect(onClient.spanContext().traceId).toBe(toolSpan.spanContext().traceId);
    }
    await close();
  });

  it('records tools/list_changed notifications on both ends', async () => {
    const server = buildServer(sdk);
    const { client, close } = await connectPair(sdk, server);
    h.reset();
    const received = new Promise<void>((resolve) =>
      client.setNotificationHandler(sdk.types.ToolListChangedNotificationSchema, () => resolve()),
    );
    server.tool('late', 'Added after connect', async () => ({ content: [] }));
    await received;
    await settle();
    const changed = h.logs().filter((l) => l.eventName === EVENT_MCP_TOOLS_LIST_CHANGED);
    expect(changed.map((l) => l.attributes[ATTR_MCP_SIDE]).sort()).toEqual(['client', 'server']);
    await close();
  });

  it('versions tool schemas: stable across servers, changed by update() and re-registration, learned by clients', async () => {
    const { z } = sdk;
    const make = () => {
      const s = new sdk.McpServer({ name: 'versions', version: '1' });
      const tool = s.tool('lookup', 'Looks things up', { q: z.string() }, async () => ({ content: [] }));
      return { s, tool };
    };
    const first = make();
    const second = make();
    const a = await connectPair(sdk, first.s);
    const b = await connectPair(sdk, second.s);
    h.reset();
    await a.client.listTools();
    await a.client.callTool({ name: 'lookup', arguments: { q: '1' } });
    await b.client.callTool({ name: 'lookup', arguments: { q: '1' } });
    await settle();
    const versionsOf = (kind: SpanKind) =>
      h.spans().filter((s) => s.name === 'tools/call lookup' && s.kind === kind).map((s) => s.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION]);
    const [v1, v1b] = versionsOf(SpanKind.SERVER);
    expect(v1).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(v1b).toBe(v1);
    // The client that listed the tools knows the version; the one that did not, does not.
    expect(versionsOf(SpanKind.CLIENT)).toEqual([v1, undefined]);

    h.reset();
    first.tool.update({ description: 'Looks things up, and also sends them elsewhere' });
    await a.client.callTool({ name: 'lookup', arguments: { q: '1' } });
    await settle();
    const [v2] = versionsOf(SpanKind.SERVER);
    expect(v2).toMatch(/^sha256:/);
    expect(v2).not.toBe(v1);
    const redefined = serverLogs(EVENT_MCP_TOOL_DEFINITION).filter((l) => l.attributes[ATTR_MCP_TOOL_NAME] === 'lookup');
    expect(redefined.map((l) => l.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION])).toContain(v2);

    h.reset();
    first.tool.remove();
    first.s.tool('lookup', 'Looks things up', { q: z.string(), limit: z.number() }, async () => ({ content: [] }));
    await a.client.listTools();
    await a.client.callTool({ name: 'lookup', arguments: { q: '1', limit: 1 } });
    await settle();
    const [v3] = versionsOf(SpanKind.SERVER);
    expect(v3).not.toBe(v1);
    expect(v3).not.toBe(v2);
    expect(versionsOf(SpanKind.CLIENT)).toEqual([v3]);
    await a.close();
    await b.close();
  });

  it('records duration histograms with the semantic-conventions buckets', async () => {
    const { client, close } = await connectPair(sdk, buildServer(sdk));
    await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    await client.callTool({ name: 'fails', arguments: {} });
    await settle();
    const rm = await h.collectMetrics();
    const metrics = rm.scopeMetrics.flatMap((s) => s.metrics);
    for (const name of ['mcp.server.operation.duration', 'mcp.client.operation.duration']) {
      const metric = metrics.find((m) => m.descriptor.name === name)!;
      expect(metric.descriptor.unit).toBe('s');
      const points = metric.dataPoints as any[];
      const ok = points.find(
        (p) => p.attributes[ATTR_GEN_AI_TOOL_NAME] === 'get_weather' && p.attributes[ATTR_ERROR_TYPE] === undefined,
      );
      expect(ok.value.buckets.boundaries).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
      expect(ok.value.count).toBeGreaterThanOrEqual(1);
      expect(ok.attributes[ATTR_MCP_METHOD_NAME]).toBe('tools/call');
      expect(ok.attributes[ATTR_NETWORK_TRANSPORT]).toBe('inproc');
      expect(points.some((p) => p.attributes[ATTR_ERROR_TYPE] === 'tool_error')).toBe(true);
      // Session ids and arguments never become metric dimensions.
      expect(points.every((p) => p.attributes[ATTR_MCP_SESSION_ID] === undefined)).toBe(true);
    }
    await close();
  });

  it('reads the caller identity from authInfo, never the token', async () => {
    const server = buildServer(sdk);
    const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
    // The in-memory transport forwards authInfo given to send(); a bearer-auth HTTP transport sets it the same way.
    const send = clientTransport.send.bind(clientTransport);
    clientTransport.send = (message: unknown, options?: Record<string, unknown>) =>
      send(message, { ...options, authInfo: { token: 'tok_live_SECRET', clientId: 'agent-7', scopes: ['read', 'write'] } });
    const { isolate } = await import('./helpers/harness');
    isolate(clientTransport);
    isolate(serverTransport);
    await server.connect(serverTransport);
    const client = new sdk.Client({ name: 'c', version: '1' });
    await client.connect(clientTransport);
    h.reset();
    await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
    await settle();
    const span = spanOf(h.spans(), 'tools/call get_weather', SpanKind.SERVER);
    if (span.attributes[ATTR_ENDUSER_ID] === undefined) {
      // Older in-memory transports drop authInfo; nothing else to check there.
      expect(typeof sdk.InMemoryTransport.prototype.send).toBe('function');
    } else {
      expect(span.attributes[ATTR_ENDUSER_ID]).toBe('agent-7');
      expect(span.attributes['enduser.scope']).toBe('read write');
      const rec = serverLogs(EVENT_MCP_AUDIT_TOOL_CALL)[0]!;
      expect(rec.attributes[ATTR_ENDUSER_ID]).toBe('agent-7');
    }
    const everything = JSON.stringify([h.spans().map((s) => [s.attributes, s.events]), h.logs().map((l) => [l.attributes, l.body])]);
    expect(everything).not.toContain('tok_live_SECRET');
    await client.close();
  });
});

describe('the require hook', () => {
  it('patched the SDK loaded through Node require, without patchSdkModule', () => {
    const { Protocol } = createRequire(import.meta.url)('@modelcontextprotocol/sdk/shared/protocol.js');
    expect((Protocol.prototype.request as { __wrapped?: boolean }).__wrapped).toBe(true);
    expect((Protocol.prototype._onrequest as { __wrapped?: boolean }).__wrapped).toBe(true);
  });
});
