/**
 * The links a SERVER span carries, in real processes (SDK 2.x client and server, and 1.x over HTTP):
 * - the legs of one 2026-07-28 multi-round-trip tool call link each other on the server, too: by the
 *   `requestState` the client echoes (with or without an instrumented client), else by the client's trace;
 * - under `@opentelemetry/instrumentation-http`, the MCP SERVER span (a child of the client's span, from
 *   `_meta`) links the HTTP SERVER span it ran in (the MCP semantic conventions' SHOULD).
 * Controls: a leg with neither `requestState` nor a client trace links nothing; a server without HTTP
 * instrumentation has no link to an HTTP span.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_METHOD_NAME,
  ATTR_SERVICE_NAME,
  EVENT_MCP_AUDIT_TOOL_CALL,
} from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlatSpan, OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import { FIXTURES_DIR, killAll, REGISTER, type TempDir, tempDir } from '../helpers/processes';
import { runFixturePair, type SdkVersion, sdkVersions } from '../helpers/sdk-matrix';

const TOKEN = `tok_${randomBytes(12).toString('hex')}`;
const HTTP_OTEL = path.join(FIXTURES_DIR, 'http-otel.cjs');
const ROUND_TRIPS = ['confirm', 'confirm_twice'];

interface Cell {
  name: string;
  sdk: SdkVersion;
  transport: 'stdio' | 'http';
  /** Pin the client to this revision (2026-07-28: multi-round-trip calls). */
  pin?: string;
  /** The server also runs `@opentelemetry/instrumentation-http`. */
  httpInstrumentation: boolean;
  /** The agent runs under the hook (its requests carry trace context in `_meta`). */
  agentInstrumented: boolean;
  calls: string[];
}

interface AgentOut {
  calls: Array<{ name: string; text?: string; code?: number; message?: string }>;
  failure?: string;
}

const service = (cell: Cell, side: 'agent' | 'server') => `links-${cell.name}-${side}`;

describe('server span links: multi-round-trip legs and the ambient HTTP server span', () => {
  const receiver = new OtlpReceiver();
  let dir: TempDir;
  const cells: Cell[] = [];
  const outs = new Map<string, AgentOut>();

  beforeAll(async () => {
    await receiver.start();
    dir = tempDir('links');
    const { v1, v2 } = sdkVersions();
    const pin = '2026-07-28';
    cells.push(
      { name: 'rev-stdio', sdk: v2, transport: 'stdio', pin, httpInstrumentation: false, agentInstrumented: true, calls: ROUND_TRIPS },
      { name: 'rev-http', sdk: v2, transport: 'http', pin, httpInstrumentation: true, agentInstrumented: true, calls: ROUND_TRIPS },
      { name: 'rev-http-bare-agent', sdk: v2, transport: 'http', pin, httpInstrumentation: false, agentInstrumented: false, calls: ROUND_TRIPS },
      { name: 'v1-http', sdk: v1, transport: 'http', httpInstrumentation: true, agentInstrumented: true, calls: ['get_weather', 'explode'] },
      { name: 'v2-http', sdk: v2, transport: 'http', httpInstrumentation: true, agentInstrumented: true, calls: ['get_weather', 'explode'] },
    );
    const queue = [...cells];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let cell = queue.shift(); cell; cell = queue.shift()) outs.set(cell.name, await runCell(cell, receiver, dir));
      }),
    );
    const legsPerCall = (tool: string) => (tool === 'confirm' ? 2 : tool === 'confirm_twice' ? 3 : 1);
    await receiver.waitFor(
      () =>
        cells.every(
          (cell) =>
            serverSpans(cell, 'tools/call').length >= cell.calls.reduce((n, t) => n + legsPerCall(t), 0) &&
            audits(cell).length >= cell.calls.length,
        ),
      30_000,
      'the server tools/call spans and audit records of every cell',
    );
  }, 180_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
    dir?.remove();
  });

  const serverSpans = (cell: Cell, method?: string): FlatSpan[] =>
    receiver
      .spans()
      .filter(
        (s) =>
          s.resource[ATTR_SERVICE_NAME] === service(cell, 'server') &&
          s.kind === SPAN_KIND.SERVER &&
          s.attributes[ATTR_MCP_METHOD_NAME] !== undefined &&
          (method === undefined || s.attributes[ATTR_MCP_METHOD_NAME] === method),
      )
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const httpServerSpans = (cell: Cell): FlatSpan[] =>
    receiver
      .spans()
      .filter((s) => s.resource[ATTR_SERVICE_NAME] === service(cell, 'server') && s.kind === SPAN_KIND.SERVER && s.attributes[ATTR_MCP_METHOD_NAME] === undefined);
  const audits = (cell: Cell) =>
    receiver.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL && l.resource[ATTR_SERVICE_NAME] === service(cell, 'server'));
  const legsOf = (cell: Cell, tool: string) => serverSpans(cell, 'tools/call').filter((s) => s.attributes[ATTR_GEN_AI_TOOL_NAME] === tool);
  const cell = (name: string) => cells.find((c) => c.name === name)!;
  const ref = (s: FlatSpan) => ({ traceId: s.traceId, spanId: s.spanId });
  /** The links of a span to other MCP server spans of its own process (previous legs). */
  const legLinks = (c: Cell, span: FlatSpan) => span.links.filter((l) => serverSpans(c).some((s) => s.spanId === l.spanId));

  it('every call got its answer', () => {
    for (const c of cells) {
      const out = outs.get(c.name)!;
      expect(out.failure, c.name).toBeUndefined();
      expect(out.calls.map((x) => x.name)).toEqual(c.calls);
      if (c.pin) {
        expect(out.calls[0]).toMatchObject({ text: 'confirmed: {"action":"accept","content":{"yes":true}}' });
        expect(out.calls[1]).toMatchObject({ text: 'confirmed twice' });
      }
    }
  });

  it('each retry leg of a multi-round-trip call links the server leg it continues; the first leg links none', () => {
    for (const name of ['rev-stdio', 'rev-http', 'rev-http-bare-agent']) {
      const c = cell(name);
      const twice = legsOf(c, 'confirm_twice');
      expect(twice, name).toHaveLength(3);
      expect(legLinks(c, twice[0]!), name).toEqual([]);
      expect(legLinks(c, twice[1]!), name).toEqual([ref(twice[0]!)]);
      expect(legLinks(c, twice[2]!), name).toEqual([ref(twice[1]!)]);
      const once = legsOf(c, 'confirm');
      expect(once, name).toHaveLength(2);
      expect(legLinks(c, once[0]!), name).toEqual([]);
      if (c.agentInstrumented) {
        // No requestState: the client's trace ties the legs (both are children of the same agent trace).
        expect(legLinks(c, once[1]!), name).toEqual([ref(once[0]!)]);
        expect(once[1]!.traceId).toBe(once[0]!.traceId);
      } else {
        // Control: neither requestState nor a client trace ties these two requests: no link is invented.
        expect(legLinks(c, once[1]!), name).toEqual([]);
        expect(once[1]!.traceId).not.toBe(once[0]!.traceId);
      }
    }
  });

  it('the client legs of a three-leg call link the leg before them, too', () => {
    for (const name of ['rev-stdio', 'rev-http']) {
      const c = cell(name);
      const legs = receiver
        .spans()
        .filter((s) => s.resource[ATTR_SERVICE_NAME] === service(c, 'agent') && s.kind === SPAN_KIND.CLIENT && s.name === 'tools/call confirm_twice')
        .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      expect(legs.map((l) => l.links), name).toEqual([[], [ref(legs[0]!)], [ref(legs[1]!)]]);
    }
  });

  it('a multi-round-trip call is one audit record on the server, however many legs', () => {
    for (const name of ['rev-stdio', 'rev-http', 'rev-http-bare-agent']) {
      const records = audits(cell(name));
      expect(records.map((r) => r.attributes[ATTR_GEN_AI_TOOL_NAME]), name).toEqual(ROUND_TRIPS);
      expect(records.map((r) => r.attributes[ATTR_MCP_AUDIT_OUTCOME]), name).toEqual(['ok', 'ok']);
    }
  });

  it('under instrumentation-http, each MCP SERVER span is the child of the MCP client span and links its own HTTP SERVER span (1.x and 2.x)', () => {
    for (const name of ['v1-http', 'v2-http', 'rev-http']) {
      const c = cell(name);
      const http = httpServerSpans(c);
      expect(http.length, `${name}: HTTP server spans`).toBeGreaterThan(0);
      const agentClients = receiver.spans().filter((s) => s.resource[ATTR_SERVICE_NAME] === service(c, 'agent') && s.kind === SPAN_KIND.CLIENT);
      const linkedHttp = new Set<string>();
      let checked = 0;
      for (const span of serverSpans(c)) {
        const parent = agentClients.find((a) => a.spanId === span.parentSpanId && a.traceId === span.traceId);
        // The 2.x client's connect-time `server/discover` probe carries no `_meta` trace context: under
        // instrumentation-http it is simply the child of the HTTP span, with nothing to link.
        if (!parent) {
          expect(span.name, `${name}: a server span without a client parent`).toBe('server/discover');
          expect(http.some((h) => h.spanId === span.parentSpanId)).toBe(true);
          continue;
        }
        const toHttp = span.links.filter((l) => http.some((h) => h.spanId === l.spanId && h.traceId === l.traceId));
        expect(toHttp, `${name}: ${span.name} links one HTTP server span`).toHaveLength(1);
        linkedHttp.add(toHttp[0]!.spanId);
        checked++;
      }
      expect(checked, name).toBeGreaterThanOrEqual(c.calls.length + 1);
      // Stateless HTTP: one POST per request, so each MCP span links a different HTTP span.
      expect(linkedHttp.size, name).toBe(checked);
    }
  });

  it('control: without HTTP instrumentation no server span links an HTTP span (there is none)', () => {
    for (const name of ['rev-stdio', 'rev-http-bare-agent']) {
      const c = cell(name);
      expect(httpServerSpans(c), name).toEqual([]);
      for (const span of serverSpans(c)) expect(span.links.length - legLinks(c, span).length, `${name}: ${span.name}`).toBe(0);
    }
  });
});

async function runCell(cell: Cell, receiver: OtlpReceiver, dir: TempDir): Promise<AgentOut> {
  const { result } = await runFixturePair<AgentOut>({
    name: cell.name,
    receiverUrl: receiver.url,
    transport: cell.transport,
    serverArgs: ['--require', REGISTER, ...(cell.httpInstrumentation ? ['--require', HTTP_OTEL] : []), path.join(cell.sdk.root, 'server.cjs')],
    serverEnv: { OTEL_SERVICE_NAME: service(cell, 'server'), FIXTURE_SDK: String(cell.sdk.major), FIXTURE_BEARER_TOKEN: TOKEN },
    agentArgs: [...(cell.agentInstrumented ? ['--require', REGISTER] : []), path.join(cell.sdk.root, 'agent.cjs')],
    agentEnv: {
      OTEL_SERVICE_NAME: service(cell, 'agent'),
      FIXTURE_SDK: String(cell.sdk.major),
      FIXTURE_CALLS: JSON.stringify(cell.calls),
      FIXTURE_BEARER_TOKEN: TOKEN,
      ...(cell.pin ? { FIXTURE_PIN: cell.pin } : {}),
    },
    resultFile: dir.file(`${cell.name}.json`),
  });
  return result;
}
