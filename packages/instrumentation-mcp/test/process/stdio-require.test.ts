/**
 * A stdio MCP server started by the SDK's own StdioClientTransport with
 * `--require @mcptrail/instrumentation-mcp/register`, driven by an agent process
 * that is itself instrumented. Both export real OTLP (http/json) to a loopback
 * receiver; every assertion is on what the receiver got.
 */
import {
  ATTR_ENDUSER_ID,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCPTRAIL_REDACTION_COUNT,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  EVENT_MCP_AUDIT_TOOL_CALL,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlatSpan, OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import {
  type AgentResult,
  fixture,
  killAll,
  otlpEnv,
  REQUIRE_REGISTER,
  readAgentResult,
  spawnNode,
  type TempDir,
  tempDir,
} from '../helpers/processes';
import { SECRET_CORPUS, secretPlacements } from '../helpers/secrets';

const AGENT = 'fixture-agent-stdio';
const SERVER = 'fixture-stdio-server';

describe('stdio server under --require, agent under --require (OTLP http/json)', () => {
  const receiver = new OtlpReceiver();
  let dir: TempDir;
  let agent: AgentResult;
  let serverStderr = '';
  const secrets = secretPlacements();

  beforeAll(async () => {
    await receiver.start();
    dir = tempDir('stdio');
    const run = spawnNode(
      [...REQUIRE_REGISTER, fixture('agent.cjs')],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: AGENT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        FIXTURE_TRANSPORT: 'stdio',
        FIXTURE_RESULT_FILE: dir.file('agent-result.json'),
        FIXTURE_SERVER_STDERR_FILE: dir.file('server-stderr.txt'),
        FIXTURE_SERVER_ARGS: JSON.stringify([...REQUIRE_REGISTER, fixture('stdio-server.cjs')]),
        FIXTURE_SERVER_ENV: JSON.stringify({
          OTEL_SERVICE_NAME: SERVER,
          OTEL_LOG_LEVEL: 'debug',
          MCPTRAIL_CAPTURE_ARGUMENTS: 'true',
          MCPTRAIL_CAPTURE_RESULTS: 'true',
          FIXTURE_RESULT_TEXT: secrets.resultText,
          FIXTURE_ERROR_TEXT: secrets.errorText,
        }),
        FIXTURE_TOOL_ARGS: JSON.stringify({
          get_weather: { city: 'Lisbon' },
          store_credentials: secrets.nestedArguments,
          leak_config: { section: 'all' },
          explode: { reason: secrets.errorText },
        }),
        FIXTURE_REDEFINE: '1',
      }),
      60_000,
    );
    const done = await run.finished;
    agent = readAgentResult(dir);
    serverStderr = dir.read('server-stderr.txt');
    expect(agent.failure, `agent failed; stderr:\n${done.stderr}`).toBeUndefined();
    expect(done.code).toBe(0);
    // Both processes flushed at exit; wait for the last batches to be received.
    await receiver.waitFor(
      () => serviceSpans(receiver.spans(), SERVER).some((s) => s.attributes[ATTR_MCP_METHOD_NAME] === 'prompts/get'),
      20_000,
      'server spans',
    );
  }, 90_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
    dir?.remove();
  });

  it('keeps stdout clean JSON-RPC with OTEL_LOG_LEVEL=debug: the SDK client connects and calls every tool', () => {
    expect(agent.transportErrors).toEqual([]);
    expect(agent.tools).toEqual(['get_weather', 'store_credentials', 'leak_config', 'explode', 'redefine_tool']);
    expect(agent.calls.map((c) => c.name)).toEqual([
      'get_weather',
      'store_credentials',
      'leak_config',
      'explode',
      'redefine_tool',
      'get_weather',
    ]);
    expect(agent.calls.find((c) => c.name === 'explode')?.isError).toBe(true);
    expect(agent.calls.filter((c) => c.name !== 'explode').every((c) => !c.isError)).toBe(true);
    // The debug diagnostics went to stderr (so debug really was on), prefixed as ours.
    expect(serverStderr).toMatch(/^mcptrail debug: /m);
  });

  it('records a SERVER span for every incoming request and a CLIENT span for every outgoing one', () => {
    const methods = (spans: FlatSpan[], kind: number) =>
      new Set(spans.filter((s) => s.kind === kind).map((s) => String(s.attributes[ATTR_MCP_METHOD_NAME])));
    const expected = ['initialize', 'tools/list', 'tools/call', 'ping', 'resources/list', 'resources/read', 'prompts/list', 'prompts/get'];
    const server = methods(serviceSpans(receiver.spans(), SERVER), SPAN_KIND.SERVER);
    const client = methods(serviceSpans(receiver.spans(), AGENT), SPAN_KIND.CLIENT);
    for (const method of expected) {
      expect(server, `server ${method}`).toContain(method);
      expect(client, `client ${method}`).toContain(method);
    }
    const serverToolCalls = toolCalls(receiver.spans(), SERVER, SPAN_KIND.SERVER);
    expect(serverToolCalls.map((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME])).toEqual(agent.calls.map((c) => c.name));
    expect(serverToolCalls.find((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === 'explode')?.statusCode).toBe(2);
  });

  it('links agent span → client span → server span in one trace across the process boundary', () => {
    const clientCalls = toolCalls(receiver.spans(), AGENT, SPAN_KIND.CLIENT);
    const serverCalls = toolCalls(receiver.spans(), SERVER, SPAN_KIND.SERVER);
    expect(clientCalls).toHaveLength(agent.calls.length);
    expect(serverCalls).toHaveLength(agent.calls.length);
    for (const serverSpan of serverCalls) {
      const parent = clientCalls.find((c) => c.spanId === serverSpan.parentSpanId);
      expect(parent, `client parent of ${serverSpan.name}`).toBeDefined();
      expect(serverSpan.traceId).toBe(parent?.traceId);
      expect(parent?.traceId).toBe(agent.agentTraceId);
      expect(parent?.parentSpanId).toBe(agent.agentSpanId);
    }
  });

  it('groups the connection into one generated session id', () => {
    const sessions = new Set(serviceSpans(receiver.spans(), SERVER).map((s) => s.attributes[ATTR_MCP_SESSION_ID]));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toEqual(expect.any(String));
  });

  it('emits one audit log record per tool call, in the server span context', () => {
    const audits = receiver.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.resource[ATTR_SERVICE_NAME] === SERVER);
    const serverCalls = toolCalls(receiver.spans(), SERVER, SPAN_KIND.SERVER);
    expect(audits).toHaveLength(serverCalls.length);
    for (const span of serverCalls) {
      expect(audits.some((a) => a.spanId === span.spanId && a.traceId === span.traceId), span.spanId).toBe(true);
    }
    expect(audits.every((a) => a.attributes[ATTR_ENDUSER_ID] === undefined)).toBe(true);
  });

  it('changes mcp.tool.schema.version when a tool is redefined in the running server', () => {
    const weather = toolCalls(receiver.spans(), SERVER, SPAN_KIND.SERVER).filter(
      (s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === 'get_weather',
    );
    expect(weather).toHaveLength(2);
    const [before, after] = weather.map((s) => s.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION]);
    expect(before).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(after).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(after).not.toBe(before);
  });

  it('exports the operation duration histograms', () => {
    const names = new Set(receiver.metrics().map((m) => m.name));
    expect(names).toContain(METRIC_MCP_SERVER_OPERATION_DURATION);
    expect(names).toContain(METRIC_MCP_CLIENT_OPERATION_DURATION);
  });

  it('lets no secret of the corpus reach the receiver (arguments, results, error messages)', () => {
    expect(receiver.requests.length).toBeGreaterThan(0);
    // The secrets really were in play: the agent got them back unredacted from the server.
    const returned = agent.calls.flatMap((c) => c.texts).join('\n');
    expect(secrets.findLeaks(returned).length).toBeGreaterThanOrEqual(secrets.inResults);
    expect(secrets.findLeaks(receiver.allBytes())).toEqual([]);
  });

  it('exported the places the secrets were, redacted (not merely left out)', () => {
    const byTool = (name: string) =>
      toolCalls(receiver.spans(), SERVER, SPAN_KIND.SERVER).find((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === name);
    const args = String(byTool('store_credentials')?.attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]);
    expect(args).toContain('[REDACTED');
    expect(args).toContain('ord_2026_000184'); // innocuous data survives
    expect(String(byTool('leak_config')?.attributes[ATTR_GEN_AI_TOOL_CALL_RESULT])).toContain('[REDACTED');
    expect(String(byTool('explode')?.attributes[ATTR_MCP_ERROR_MESSAGE])).toContain('[REDACTED');
    expect(Number(byTool('store_credentials')?.attributes[ATTR_MCPTRAIL_REDACTION_COUNT])).toBeGreaterThan(0);
  });
});

function serviceSpans(spans: FlatSpan[], service: string): FlatSpan[] {
  return spans.filter((s) => s.resource[ATTR_SERVICE_NAME] === service);
}

/** In start order (the receiver sorts spans by start time). */
function toolCalls(spans: FlatSpan[], service: string, kind: number): FlatSpan[] {
  return serviceSpans(spans, service)
    .filter((s) => s.kind === kind && s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call');
}

describe('stdout of a stdio server under --require with OTEL_LOG_LEVEL=debug, read raw', () => {
  afterAll(() => killAll());

  it('holds nothing but the JSON-RPC responses', async () => {
    const receiver = await new OtlpReceiver().start();
    try {
      const run = spawnNode(
        [...REQUIRE_REGISTER, fixture('stdio-server.cjs')],
        otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'raw-stdio', OTEL_LOG_LEVEL: 'debug', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
        30_000,
      );
      const send = (message: object) => run.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
      send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/list' });
      send({ id: 3, method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Bern' } } });
      send({ id: 4, method: 'tools/call', params: { name: 'explode', arguments: {} } });
      for (let i = 0; i < 300 && !run.stdout().includes('"id":4'); i++) await new Promise((r) => setTimeout(r, 100));
      run.child.stdin?.end();
      const done = await run.finished;
      const lines = done.stdout.split('\n').filter((l) => l !== '');
      // Tool calls run concurrently, so responses 3 and 4 may come in either order.
      expect(lines.map((l) => (JSON.parse(l) as { id?: number }).id).sort()).toEqual([1, 2, 3, 4]);
      expect(lines.every((l) => (JSON.parse(l) as { jsonrpc?: string }).jsonrpc === '2.0')).toBe(true);
      expect(done.stderr).toMatch(/^mcptrail debug: /m);
      expect(done.code).toBe(0);
      // Flushed at exit after stdin closed.
      await receiver.waitFor(() => receiver.spans().some((s) => s.resource[ATTR_SERVICE_NAME] === 'raw-stdio'), 10_000);
    } finally {
      await receiver.close();
    }
  });
});

describe('the leak check itself', () => {
  const secrets = secretPlacements();

  it('covers a corpus of at least 30 secrets of at least 15 kinds, each detectable alone', () => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(secrets.kinds).toBeGreaterThanOrEqual(15);
    for (const { kind, value } of SECRET_CORPUS) expect(secrets.findLeaks(Buffer.from(`x ${value} y`)), kind).not.toEqual([]);
  });

  it('finds every secret in a deliberately unredacted copy of what the fixtures send', () => {
    const unredacted = Buffer.from(
      JSON.stringify({ args: secrets.nestedArguments, headers: secrets.headers, result: secrets.resultText, error: secrets.errorText }),
    );
    expect(secrets.findLeaks(unredacted).length).toBeGreaterThanOrEqual(SECRET_CORPUS.length);
  });
});
