/**
 * APPLICATIONINSIGHTS_CONNECTION_STRING switches traces and logs to Azure Monitor.
 * The ingestion endpoint named in the connection string is a loopback HTTPS server
 * (self-signed certificate trusted through NODE_EXTRA_CA_CERTS).
 */
import {
  ATTR_ENDUSER_SCOPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
} from '@mcptrail/conventions';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppInsightsReceiver, type TelemetryItem } from '../helpers/appinsights-receiver';
import { type Finished, fixture, killAll, REQUIRE_REGISTER, readAgentResult, spawnNode, type TempDir, waitForPort, tempDir } from '../helpers/processes';
import { secretPlacements } from '../helpers/secrets';

const IKEY = '00000000-1111-2222-3333-444444444444';
const CLIENT_ID = 'agent-ai';

/**
 * The exporter is an optional peer (it declares Node >= 22): the repository does not install it.
 * CI's Node 24 leg installs it beside the repository and points NODE_PATH at it.
 */
const azureInstalled = (() => {
  try {
    createRequire(__filename).resolve('@azure/monitor-opentelemetry-exporter');
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(!azureInstalled)('Application Insights without the exporter installed', () => {
  it('prints one clear line naming the package to install, and keeps running uninstrumented for that path', async () => {
    const run = await spawnNode(
      [...REQUIRE_REGISTER, '-e', 'setTimeout(() => {}, 50)'],
      { APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=https://127.0.0.1:9/` },
      20_000,
    ).finished;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    const missing = lines.filter((l) => l.includes('@azure/monitor-opentelemetry-exporter'));
    // One line for the variable, although traces, logs and metrics each wanted the exporter.
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/MCPTRAIL_ERR_EXPORTER_UNAVAILABLE: APPLICATIONINSIGHTS_CONNECTION_STRING: .*not installed: npm install @azure\/monitor-opentelemetry-exporter@1\.0\.0-beta\.45/);
    expect(run.stderr).not.toContain('Require stack');
    expect(run.stderr).not.toContain(IKEY);
  }, 30_000);
});

describe.runIf(azureInstalled)('Application Insights export (Azure Monitor exporter, loopback ingestion)', () => {
  let dir: TempDir;
  const ingestion = new AppInsightsReceiver();
  let server: Finished;
  const secrets = secretPlacements();

  beforeAll(async () => {
    dir = tempDir('appinsights');
    await ingestion.start(dir);
    const serverRun = spawnNode(
      [...REQUIRE_REGISTER, fixture('http-server.cjs')],
      {
        OTEL_SERVICE_NAME: 'fixture-appinsights-server',
        APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString(IKEY),
        NODE_EXTRA_CA_CERTS: ingestion.caFile,
        // Statsbeat would phone the real Azure endpoint; there is no network here.
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
        OTEL_LOG_LEVEL: 'info',
        FIXTURE_BEARER_TOKEN: secrets.bearerToken,
        FIXTURE_CLIENT_ID: CLIENT_ID,
        FIXTURE_RESULT_TEXT: secrets.resultText,
        FIXTURE_ERROR_TEXT: secrets.errorText,
      },
      60_000,
    );
    const port = await waitForPort(serverRun);
    // An uninstrumented client: only the server reports here.
    const agentDone = await spawnNode(
      [fixture('agent.cjs')],
      {
        FIXTURE_TRANSPORT: 'http',
        FIXTURE_URL: `http://127.0.0.1:${port}/mcp`,
        FIXTURE_HEADERS: JSON.stringify({ ...secrets.headers, Authorization: `Bearer ${secrets.bearerToken}` }),
        FIXTURE_RESULT_FILE: dir.file('agent-result.json'),
        FIXTURE_ONLY_TOOLS: JSON.stringify(['get_weather', 'store_credentials', 'leak_config', 'explode']),
        FIXTURE_TOOL_ARGS: JSON.stringify({
          get_weather: { city: 'Madrid' },
          store_credentials: secrets.nestedArguments,
          explode: { reason: secrets.errorText },
        }),
      },
      60_000,
    ).finished;
    expect(readAgentResult(dir).failure, agentDone.stderr).toBeUndefined();
    serverRun.child.kill('SIGTERM');
    server = await serverRun.finished;
  }, 120_000);

  afterAll(async () => {
    killAll();
    await ingestion.close();
    dir?.remove();
  });

  it('starts on the Azure Monitor path and flushes before exiting on SIGTERM', () => {
    expect(server.stderr).toContain('started: traces→azure-monitor, logs→azure-monitor, metrics→azure-monitor');
    // Our own lines never print the connection string.
    expect(server.stderr).not.toContain(ingestion.connectionString(IKEY));
    expect(server.signal).toBe('SIGTERM');
    expect(ingestion.paths.every((p) => p === 'POST /v2.1/track')).toBe(true);
  });

  it('sends SERVER spans as Request items carrying the MCP attributes as properties', () => {
    const requests = ingestion.items.filter((i) => i.data?.baseType === 'RequestData');
    const toolCalls = requests.filter((i) => props(i)[ATTR_MCP_METHOD_NAME] === 'tools/call');
    expect(toolCalls.map((i) => props(i)[ATTR_GEN_AI_TOOL_NAME]).sort()).toEqual(
      ['explode', 'get_weather', 'leak_config', 'store_credentials'],
    );
    for (const item of toolCalls) {
      expect(item.iKey).toBe(IKEY);
      expect(props(item)[ATTR_MCP_TOOL_SCHEMA_VERSION]).toMatch(/^sha256:/);
      expect(props(item)[ATTR_MCP_SESSION_ID]).toEqual(expect.any(String));
      // The exporter maps enduser.id to the authenticated-user tag.
      expect(item.tags?.['ai.user.authUserId']).toBe(CLIENT_ID);
      expect(props(item)[ATTR_ENDUSER_SCOPE]).toContain('tools:call');
    }
    expect(toolCalls.find((i) => props(i)[ATTR_GEN_AI_TOOL_NAME] === 'explode')?.data?.baseData?.success).toBe(false);
  });

  it('sends the audit log records', () => {
    const logs = ingestion.items.filter((i) => i.data?.baseType === 'MessageData' || i.data?.baseType === 'EventData');
    const audits = logs.filter((i) => props(i)[ATTR_GEN_AI_TOOL_NAME] !== undefined);
    expect(audits.length).toBeGreaterThanOrEqual(4);
  });

  it('lets no secret reach the ingestion endpoint', () => {
    expect(secrets.findLeaks(ingestion.allBytes())).toEqual([]);
  });
});

function props(item: TelemetryItem): Record<string, string> {
  return item.data?.baseData?.properties ?? {};
}
