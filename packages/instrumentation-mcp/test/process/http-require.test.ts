/**
 * A Streamable HTTP server on 127.0.0.1 (sessions, bearer auth → authInfo) under
 * `--require …/register`, called by an instrumented agent with secrets in its
 * HTTP headers and arguments. The server is stopped with SIGTERM: it must flush,
 * then die of the signal as it would have without instrumentation.
 */
import {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_SERVICE_NAME,
  EVENT_MCP_AUDIT_TOOL_CALL,
} from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlatSpan, OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import {
  type AgentResult,
  type Finished,
  fixture,
  killAll,
  otlpEnv,
  REQUIRE_REGISTER,
  readAgentResult,
  spawnNode,
  waitForPort,
  type TempDir,
  tempDir,
} from '../helpers/processes';
import { secretPlacements } from '../helpers/secrets';

const AGENT = 'fixture-agent-http';
const SERVER = 'fixture-http-server';
const CLIENT_ID = 'agent-42';

describe('Streamable HTTP server under --require with bearer auth', () => {
  const receiver = new OtlpReceiver();
  let dir: TempDir;
  let agent: AgentResult;
  let server: Finished;
  const secrets = secretPlacements();

  beforeAll(async () => {
    await receiver.start();
    dir = tempDir('http');
    const serverRun = spawnNode(
      [...REQUIRE_REGISTER, fixture('http-server.cjs')],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: SERVER,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_LOG_LEVEL: 'info',
        MCPTRAIL_CAPTURE_ARGUMENTS: 'true',
        MCPTRAIL_CAPTURE_RESULTS: 'true',
        FIXTURE_BEARER_TOKEN: secrets.bearerToken,
        FIXTURE_CLIENT_ID: CLIENT_ID,
        FIXTURE_RESULT_TEXT: secrets.resultText,
        FIXTURE_ERROR_TEXT: secrets.errorText,
      }),
      60_000,
    );
    const port = await waitForPort(serverRun);
    const agentRun = spawnNode(
      [...REQUIRE_REGISTER, fixture('agent.cjs')],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: AGENT,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        FIXTURE_TRANSPORT: 'http',
        FIXTURE_URL: `http://127.0.0.1:${port}/mcp`,
        FIXTURE_HEADERS: JSON.stringify({ ...secrets.headers, Authorization: `Bearer ${secrets.bearerToken}` }),
        FIXTURE_RESULT_FILE: dir.file('agent-result.json'),
        FIXTURE_TOOL_ARGS: JSON.stringify({
          get_weather: { city: 'Porto' },
          store_credentials: secrets.nestedArguments,
          explode: { reason: secrets.errorText },
        }),
      }),
      60_000,
    );
    const agentDone = await agentRun.finished;
    agent = readAgentResult(dir);
    expect(agent.failure, `agent failed; stderr:\n${agentDone.stderr}`).toBeUndefined();
    serverRun.child.kill('SIGTERM');
    server = await serverRun.finished;
    await receiver.waitFor(() => serverToolCalls(receiver.spans()).length >= 4, 20_000, 'HTTP server spans');
  }, 90_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
    dir?.remove();
  });

  it('flushes on SIGTERM, then exits by the signal; stdout holds only the fixture line', () => {
    expect(server.signal).toBe('SIGTERM');
    expect(server.stdout.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toMatch(/mcptrail info: started: traces→otlp\(http\/json\)/);
  });

  it('puts the transport session id and the bearer identity (never the token) on server spans', () => {
    const calls = serverToolCalls(receiver.spans());
    expect(calls.map((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME])).toEqual(['get_weather', 'store_credentials', 'leak_config', 'explode']);
    for (const span of calls) {
      expect(span.attributes[ATTR_MCP_SESSION_ID]).toBe(agent.sessionId);
      expect(span.attributes[ATTR_ENDUSER_ID]).toBe(CLIENT_ID);
      expect(String(span.attributes[ATTR_ENDUSER_SCOPE])).toContain('tools:call');
    }
    const audits = receiver.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.resource[ATTR_SERVICE_NAME] === SERVER);
    expect(audits).toHaveLength(calls.length);
    expect(audits.every((a) => a.attributes[ATTR_ENDUSER_ID] === CLIENT_ID)).toBe(true);
  });

  it('parents every server span on the agent’s client span, in the agent’s trace', () => {
    const clients = receiver.spans().filter((s) => s.resource[ATTR_SERVICE_NAME] === AGENT && s.kind === SPAN_KIND.CLIENT);
    const server = receiver.spans().filter((s) => s.resource[ATTR_SERVICE_NAME] === SERVER && s.kind === SPAN_KIND.SERVER);
    expect(server.length).toBeGreaterThanOrEqual(8);
    for (const span of server) {
      const parent = clients.find((c) => c.spanId === span.parentSpanId);
      expect(parent, `${span.name} has the client span as parent`).toBeDefined();
      expect(span.traceId).toBe(agent.agentTraceId);
    }
  });

  it('lets no secret through: headers, nested arguments, results, error messages', () => {
    expect(secrets.findLeaks(receiver.allBytes())).toEqual([]);
  });
});

function serverToolCalls(spans: FlatSpan[]): FlatSpan[] {
  return spans.filter(
    (s) => s.resource[ATTR_SERVICE_NAME] === SERVER && s.kind === SPAN_KIND.SERVER && s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call',
  );
}
