/**
 * `mcp.tool.schema.version` is a fingerprint of the tool definition: the same
 * definition gives the same version in a fresh process; a changed one does not.
 */
import { ATTR_GEN_AI_TOOL_NAME, ATTR_MCP_METHOD_NAME, ATTR_MCP_TOOL_SCHEMA_VERSION, ATTR_SERVICE_NAME } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import { fixture, killAll, otlpEnv, REQUIRE_REGISTER, readAgentResult, spawnNode, tempDir } from '../helpers/processes';

describe('tool schema version across server restarts', () => {
  const receiver = new OtlpReceiver();
  const versions: Record<string, unknown> = {};

  /** One agent run against a fresh stdio server process; returns get_weather's server-side version. */
  async function versionOf(run: string, variant: 'a' | 'b'): Promise<unknown> {
    const dir = tempDir(`schema-${run}`);
    try {
      const service = `schema-server-${run}`;
      const done = await spawnNode(
        [...REQUIRE_REGISTER, fixture('agent.cjs')],
        otlpEnv(receiver.url, {
          OTEL_SERVICE_NAME: `schema-agent-${run}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_LOGS_EXPORTER: 'none',
          OTEL_METRICS_EXPORTER: 'none',
          FIXTURE_TRANSPORT: 'stdio',
          FIXTURE_RESULT_FILE: dir.file('agent-result.json'),
          FIXTURE_SERVER_ARGS: JSON.stringify([...REQUIRE_REGISTER, fixture('stdio-server.cjs')]),
          FIXTURE_SERVER_ENV: JSON.stringify({ OTEL_SERVICE_NAME: service, FIXTURE_TOOL_VARIANT: variant }),
          FIXTURE_ONLY_TOOLS: JSON.stringify(['get_weather']),
          FIXTURE_TOOL_ARGS: JSON.stringify({ get_weather: { city: 'Rome' } }),
        }),
        60_000,
      ).finished;
      expect(readAgentResult(dir).failure, done.stderr).toBeUndefined();
      const find = () =>
        receiver
          .spans()
          .find(
            (s) =>
              s.resource[ATTR_SERVICE_NAME] === service &&
              s.kind === SPAN_KIND.SERVER &&
              s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call' &&
              s.attributes[ATTR_GEN_AI_TOOL_NAME] === 'get_weather',
          );
      await receiver.waitFor(() => find() !== undefined, 20_000, `${service} tools/call span`);
      return find()?.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION];
    } finally {
      dir.remove();
    }
  }

  beforeAll(async () => {
    await receiver.start();
    versions.first = await versionOf('1', 'a');
    versions.restarted = await versionOf('2', 'a');
    versions.redefined = await versionOf('3', 'b');
  }, 150_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
  });

  it('is the same after a restart with the same definition', () => {
    expect(versions.first).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(versions.restarted).toBe(versions.first);
  });

  it('changes when the definition changes between runs', () => {
    expect(versions.redefined).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(versions.redefined).not.toBe(versions.first);
  });
});
