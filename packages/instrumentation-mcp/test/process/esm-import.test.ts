/**
 * An ES-module stdio server started with `--import @mcptrail/instrumentation-mcp/register`
 * (the ESM loader path), exporting with the default protocol (http/protobuf).
 */
import { ATTR_GEN_AI_TOOL_NAME, ATTR_MCP_METHOD_NAME, ATTR_MCP_SERVER_NAME, ATTR_SERVICE_NAME } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlatSpan, OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import {
  type AgentResult,
  fixture,
  IMPORT_REGISTER,
  killAll,
  otlpEnv,
  REQUIRE_REGISTER,
  readAgentResult,
  spawnNode,
  type TempDir,
  tempDir,
} from '../helpers/processes';
import { secretPlacements } from '../helpers/secrets';

const AGENT = 'fixture-agent-esm';
const SERVER = 'fixture-esm-server';
const CALLED = ['get_weather', 'store_credentials', 'leak_config', 'explode'];

describe('ESM stdio server under --import (OTLP http/protobuf, the default; gzip)', () => {
  const receiver = new OtlpReceiver();
  let dir: TempDir;
  let agent: AgentResult;
  const secrets = secretPlacements();

  beforeAll(async () => {
    await receiver.start();
    dir = tempDir('esm');
    const run = spawnNode(
      [...REQUIRE_REGISTER, fixture('agent.cjs')],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: AGENT,
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
        FIXTURE_TRANSPORT: 'stdio',
        FIXTURE_RESULT_FILE: dir.file('agent-result.json'),
        FIXTURE_SERVER_ARGS: JSON.stringify([...IMPORT_REGISTER, fixture('stdio-server.mjs')]),
        FIXTURE_SERVER_ENV: JSON.stringify({
          OTEL_SERVICE_NAME: SERVER,
          OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
          MCPTRAIL_CAPTURE_ARGUMENTS: 'true',
          MCPTRAIL_CAPTURE_RESULTS: 'true',
          FIXTURE_RESULT_TEXT: secrets.resultText,
          FIXTURE_ERROR_TEXT: secrets.errorText,
        }),
        FIXTURE_ONLY_TOOLS: JSON.stringify(CALLED),
        FIXTURE_TOOL_ARGS: JSON.stringify({
          get_weather: { city: 'Oslo' },
          store_credentials: secrets.nestedArguments,
          explode: { reason: secrets.errorText },
        }),
      }),
      60_000,
    );
    const done = await run.finished;
    agent = readAgentResult(dir);
    expect(agent.failure, `agent failed; stderr:\n${done.stderr}`).toBeUndefined();
    await receiver.waitFor(() => serverToolCalls(receiver.spans()).length >= CALLED.length, 20_000, 'ESM server spans');
  }, 90_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
    dir?.remove();
  });

  it('receives gzip-compressed protobuf bodies only', () => {
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    expect(receiver.requests.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true);
  });

  it('records exactly one SERVER tools/call span per call, parented by the client span', () => {
    const server = serverToolCalls(receiver.spans());
    expect(server.map((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME])).toEqual(CALLED);
    expect(server.every((s) => s.attributes[ATTR_MCP_SERVER_NAME] === SERVER)).toBe(true);
    const clients = receiver.spans().filter((s) => s.resource[ATTR_SERVICE_NAME] === AGENT && s.kind === SPAN_KIND.CLIENT);
    for (const span of server) {
      const parent = clients.find((c) => c.spanId === span.parentSpanId);
      expect(parent?.traceId).toBe(span.traceId);
      expect(span.traceId).toBe(agent.agentTraceId);
    }
  });

  it('lets no secret through, byte for byte', () => {
    expect(secrets.findLeaks(receiver.allBytes())).toEqual([]);
  });
});

function serverToolCalls(spans: FlatSpan[]): FlatSpan[] {
  return spans.filter(
    (s) => s.resource[ATTR_SERVICE_NAME] === SERVER && s.kind === SPAN_KIND.SERVER && s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call',
  );
}
