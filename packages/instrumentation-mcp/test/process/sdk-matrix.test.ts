/**
 * The SDK version matrix, in real processes: `@modelcontextprotocol/sdk` 1.13.0 and 1.32.x,
 * `@modelcontextprotocol/server`/`client` 2.0.0 and the newest 2.x, each over stdio (server an ES module
 * under `--import`, or CommonJS under `--require`) and Streamable HTTP on 127.0.0.1 with bearer auth; mixed
 * pairs (1.x client -> 2.x server and back); a client pinned to the 2026-07-28 revision (no session, no
 * initialize, a multi-round-trip tool call). No fixture has tracing code: the hook does it all.
 * The cells share one OTLP receiver and run a few at a time; each cell's processes have their own service names.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  EVENT_MCP_AUDIT_TOOL_CALL,
} from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlatLog, type FlatSpan, OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import { killAll, REGISTER, type TempDir, tempDir } from '../helpers/processes';
import { runFixturePair, type SdkVersion, sdkVersions } from '../helpers/sdk-matrix';

const CALLS = ['get_weather', 'explode', 'forbidden', 'missing', 'redefine_tool', 'get_weather'];
type Transport = 'stdio-esm' | 'stdio-cjs' | 'http';

interface Cell {
  name: string;
  client: SdkVersion;
  server: SdkVersion;
  transport: Transport;
  pin?: string;
  calls: string[];
}

interface CellRun {
  cell: Cell;
  agent: { calls: Array<{ name: string; isError?: boolean; code?: number; text?: string }>; traceId: string; failure?: string };
  serverStderr: string;
}

const TOKEN = `tok_${randomBytes(12).toString('hex')}`;
const service = (cell: Cell, side: 'agent' | 'server') => `${cell.name}-${side}`;

function expectedOutcome(tool: string, server: SdkVersion): string {
  switch (tool) {
    case 'explode':
      return 'tool_error';
    case 'forbidden':
      return 'denied';
    case 'missing':
      return server.unknownToolIsRpcError ? 'error' : 'tool_error'; // 2.x and 1.13: -32602; later 1.x: isError
    default:
      return 'ok';
  }
}

describe('SDK version matrix (stdio ESM/CJS and Streamable HTTP, 1.x and 2.x, mixed pairs, 2026-07-28)', () => {
  const receiver = new OtlpReceiver();
  let dir: TempDir;
  const runs: CellRun[] = [];
  const cells: Cell[] = [];

  beforeAll(async () => {
    await receiver.start();
    dir = tempDir('matrix');
    const v = sdkVersions();
    for (const sdk of [v.v1Oldest, v.v1, v.v2First, v.v2]) {
      for (const transport of ['stdio-esm', 'stdio-cjs', 'http'] as const) {
        cells.push({ name: `${sdk.label}-${transport}`, client: sdk, server: sdk, transport, calls: CALLS });
      }
    }
    cells.push({ name: 'mixed-v1-client-v2-server', client: v.v1, server: v.v2, transport: 'stdio-esm', calls: CALLS });
    cells.push({ name: 'mixed-v2-client-v1-server', client: v.v2, server: v.v1, transport: 'stdio-esm', calls: CALLS });
    for (const transport of ['stdio-esm', 'http'] as const) {
      cells.push({ name: `rev-2026-07-28-${transport}`, client: v.v2, server: v.v2, transport, pin: '2026-07-28', calls: [...CALLS, 'confirm'] });
    }
    // A few cells at a time: each is two Node processes, and CI has two cores.
    const queue = [...cells];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let cell = queue.shift(); cell; cell = queue.shift()) runs.push(await runCell(cell, receiver, dir));
      }),
    );
    await receiver.waitFor(
      () => cells.every((cell) => serverSpans(receiver.spans(), cell, 'tools/call').length >= cell.calls.length),
      30_000,
      'the server tools/call spans of every cell',
    );
    await receiver.waitFor(
      () => cells.every((cell) => audits(receiver.logs(), cell).length >= cell.calls.length),
      20_000,
      'the audit records of every cell',
    );
  }, 240_000);

  afterAll(async () => {
    if (process.env.MATRIX_DUMP) {
      const fs = await import('node:fs');
      fs.writeFileSync(process.env.MATRIX_DUMP, JSON.stringify({ spans: receiver.spans(), logs: receiver.logs(), runs }, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    }
    killAll();
    await receiver.close();
    dir?.remove();
  });

  const each = (name: string, check: (run: CellRun) => void) =>
    it(name, () => {
      expect(runs.length).toBe(cells.length);
      const failures: string[] = [];
      for (const run of runs) {
        try {
          check(run);
        } catch (error) {
          failures.push(`cell ${run.cell.name}: ${(error as Error).message}\nserver stderr:\n${run.serverStderr.slice(0, 1500)}`);
        }
      }
      if (failures.length > 0) throw new Error(failures.join('\n\n'));
    });

  each('every call reaches the server and gets its answer', ({ cell, agent }) => {
    expect(agent.failure).toBeUndefined();
    expect(agent.calls.map((c) => c.name)).toEqual(cell.calls);
    const missing = agent.calls.find((c) => c.name === 'missing')!;
    if (cell.server.unknownToolIsRpcError) expect(missing.code).toBe(-32602);
    else expect(missing.isError).toBe(true);
  });

  each('one SERVER and one CLIENT span per request; the server span is the child of the client span', ({ cell, agent }) => {
    const spans = receiver.spans();
    const clients = spans.filter((s) => s.resource[ATTR_SERVICE_NAME] === service(cell, 'agent') && s.kind === SPAN_KIND.CLIENT);
    const servers = spans.filter((s) => s.resource[ATTR_SERVICE_NAME] === service(cell, 'server') && s.kind === SPAN_KIND.SERVER);
    expect(clients.length).toBeGreaterThanOrEqual(cell.calls.length + 1);
    for (const server of servers) {
      // The 2.x client sends its connect-time `server/discover` probe on the bare transport, before the
      // Client is connected: no SDK code we patch sees it, so that one request has a server span only.
      if (cell.pin && server.name === 'server/discover') {
        expect(server.parentSpanId).toBe('');
        continue;
      }
      const parents = clients.filter((c) => c.spanId === server.parentSpanId && c.traceId === server.traceId);
      expect(parents, `parent of ${server.name}`).toHaveLength(1);
      expect(parents[0]!.name).toBe(server.name);
    }
    for (const client of clients) {
      expect(servers.filter((s) => s.parentSpanId === client.spanId), `server spans under ${client.name}`).toHaveLength(1);
      expect(client.traceId).toBe(agent.traceId);
    }
    const calls = servers.filter((s) => s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call');
    expect(calls.map((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME])).toEqual(cell.calls.flatMap((t) => (t === 'confirm' ? [t, t] : [t])));
  });

  each('one audit record per tool call, with the outcome the server decided', ({ cell }) => {
    const records = audits(receiver.logs(), cell);
    expect(records.map((r) => r.attributes[ATTR_GEN_AI_TOOL_NAME])).toEqual(cell.calls);
    expect(records.map((r) => r.attributes[ATTR_MCP_AUDIT_OUTCOME])).toEqual(cell.calls.map((t) => expectedOutcome(t, cell.server)));
  });

  each('the tool schema version changes when the tool is redefined', ({ cell }) => {
    const weather = serverSpans(receiver.spans(), cell, 'tools/call').filter((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === 'get_weather');
    expect(weather).toHaveLength(2);
    const [before, after] = weather.map((s) => s.attributes[ATTR_MCP_TOOL_SCHEMA_VERSION]);
    expect(before).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(after).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(after).not.toBe(before);
  });

  each('every server span carries its protocol revision; a 2026-07-28 request has no invented session', ({ cell }) => {
    for (const span of serverSpans(receiver.spans(), cell)) {
      if (cell.pin) {
        expect(span.attributes[ATTR_MCP_PROTOCOL_VERSION]).toBe(cell.pin);
        expect(span.attributes[ATTR_MCP_SESSION_ID]).toBeUndefined();
      } else if (cell.transport !== 'http' || cell.server.seesRequestHeaders || span.name === 'initialize') {
        expect(span.attributes[ATTR_MCP_PROTOCOL_VERSION]).toMatch(/^20\d\d-\d\d-\d\d$/);
      }
    }
  });

  each('over HTTP the caller is the bearer identity (authInfo), never clientInfo, and the token is nowhere', ({ cell }) => {
    const spans = serverSpans(receiver.spans(), cell, 'tools/call');
    for (const span of spans) {
      if (cell.transport === 'http') {
        expect(span.attributes[ATTR_ENDUSER_ID]).toBe('agent-42');
        expect(span.attributes[ATTR_ENDUSER_SCOPE]).toBe('tools:call');
      } else {
        // stdio has no authenticated caller: the self-reported client name is not an identity.
        expect(span.attributes[ATTR_ENDUSER_ID]).toBeUndefined();
      }
      if (span.attributes[ATTR_MCP_CLIENT_NAME] !== undefined) expect(span.attributes[ATTR_MCP_CLIENT_NAME]).toBe('matrix-agent');
    }
    expect(receiver.allBytes().includes(Buffer.from(TOKEN))).toBe(false);
  });

  it('a multi-round-trip call (input_required) is two linked requests and one audit record', () => {
    for (const run of runs.filter((r) => r.cell.pin)) {
      const { cell } = run;
      expect(run.agent.calls.at(-1)).toMatchObject({ name: 'confirm', text: 'confirmed: {"action":"accept","content":{"yes":true}}' });
      const spans = receiver.spans();
      const legs = spans.filter(
        (s) => s.resource[ATTR_SERVICE_NAME] === service(cell, 'agent') && s.kind === SPAN_KIND.CLIENT && s.name === 'tools/call confirm',
      );
      expect(legs, cell.name).toHaveLength(2);
      expect(legs[1]!.links).toEqual([{ traceId: legs[0]!.traceId, spanId: legs[0]!.spanId }]);
      const confirm = audits(receiver.logs(), cell).filter((r) => r.attributes[ATTR_GEN_AI_TOOL_NAME] === 'confirm');
      expect(confirm, cell.name).toHaveLength(1);
      expect(confirm[0]!.attributes[ATTR_MCP_AUDIT_OUTCOME]).toBe('ok');
    }
  });
});

function serverSpans(spans: FlatSpan[], cell: Cell, method?: string): FlatSpan[] {
  return spans.filter(
    (s) =>
      s.resource[ATTR_SERVICE_NAME] === service(cell, 'server') &&
      s.kind === SPAN_KIND.SERVER &&
      (method === undefined || s.attributes[ATTR_MCP_METHOD_NAME] === method),
  );
}

function audits(logs: FlatLog[], cell: Cell): FlatLog[] {
  return logs.filter(
    (l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.resource[ATTR_SERVICE_NAME] === service(cell, 'server'),
  );
}

async function runCell(cell: Cell, receiver: OtlpReceiver, dir: TempDir): Promise<CellRun> {
  const esm = cell.transport !== 'stdio-cjs';
  const { result, serverStderr } = await runFixturePair<CellRun['agent'] & { serverStderr?: string }>({
    name: cell.name,
    receiverUrl: receiver.url,
    transport: cell.transport === 'http' ? 'http' : 'stdio',
    serverArgs: [esm ? '--import' : '--require', REGISTER, path.join(cell.server.root, esm ? 'server.mjs' : 'server.cjs')],
    serverEnv: { OTEL_SERVICE_NAME: service(cell, 'server'), FIXTURE_SDK: String(cell.server.major), FIXTURE_BEARER_TOKEN: TOKEN },
    agentArgs: ['--require', REGISTER, path.join(cell.client.root, 'agent.cjs')],
    agentEnv: {
      OTEL_SERVICE_NAME: service(cell, 'agent'),
      FIXTURE_SDK: String(cell.client.major),
      FIXTURE_CALLS: JSON.stringify(cell.calls),
      FIXTURE_BEARER_TOKEN: TOKEN,
      ...(cell.pin ? { FIXTURE_PIN: cell.pin } : {}),
    },
    resultFile: dir.file(`${cell.name}.json`),
  });
  return { cell, agent: result, serverStderr: serverStderr || result.serverStderr || '' };
}
