/**
 * The whole story with real processes over loopback: the processor (built CLI, SQLite store),
 * the agent and both MCP servers, all instrumented with `--import …/register` and exporting
 * through a pass-through OTLP capture to the processor. Needs `dist/` (turbo builds before test).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { AUDIT_SCHEMA_VERSION } from '@mcptrail/conventions';
import { decodeTraces, type OtlpSpan } from '@mcptrail/processor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { ephemeralPort, stopAll, stopGroup } from '../../scripts/demo/processes.mjs';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { api, cliEnv, EXPECTED_ALERTS, PROCESSOR_CLI, REPO_ROOT, reportedCalls, runAgent, startProcessor, toolCallRecords, waitForRecords } from '../../scripts/demo/stack.mjs';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { checkAlerts } from '../../scripts/demo/summary.mjs';
import { type OtlpCapture, startOtlpCapture } from './helpers/otlp-capture';
import { type SecretWatch, secretWatch } from './helpers/secrets';

const SPAN_SERVER = 2;
const SPAN_CLIENT = 3;

interface Call { server: 'stdio' | 'http'; session: string | null; tool: string; expect: string; outcome: string; scenario: string; traceId: string }
interface Prompt { text: string; agent: string; traceId: string; calls: Call[] }
interface Report { scenarios: { name: string; prompts: Prompt[] }[]; unexpected: number }
interface AuditRow { [k: string]: unknown; seq: number; trace_id: string | null; span_id: string | null; parent_span_id: string | null; tool: string | null; outcome: string; service: string; session_id: string | null; actor_id: string | null; schema_version: string; side: string }
interface Alert { rule_id: string; evidence: { records: { seq: number }[]; trace_ids: string[] } }

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-e2e-'));
const db = path.join(dataDir, 'trail.db');
let processor: { handle: { exited: Promise<unknown>; output(): string }; url: string } | undefined;
let capture: OtlpCapture | undefined;
let agent: { code: number | null; report: Report; output: string };
let records: AuditRow[] = [];
let alerts: Alert[] = [];
let spans: OtlpSpan[] = [];
/** The corpus pushed through tool arguments, the demo credentials and tokens: none may appear anywhere. */
let secrets: SecretWatch;

beforeAll(async () => {
  secrets = await secretWatch();
  const corpusFile = path.join(dataDir, 'secret-corpus.json');
  writeFileSync(corpusFile, JSON.stringify(secrets.pushed));

  processor = await startProcessor({ db, port: await ephemeralPort(), logFile: path.join(dataDir, 'processor.log') });
  capture = await startOtlpCapture(processor.url);
  agent = await runAgent({
    endpoint: capture.url,
    scenarios: 'all,secret-corpus',
    reportPath: path.join(dataDir, 'agent-report.json'),
    logFile: path.join(dataDir, 'agent.log'),
    env: { EXAMPLE_SECRET_CORPUS: corpusFile },
    timeoutMs: 150_000,
  });
  expect(agent.code, `agent failed:\n${agent.output.slice(-3000)}`).toBe(0);
  records = await waitForRecords(processor.url, reportedCalls(agent.report).length, { timeoutMs: 30_000 });
  alerts = (await api(processor.url, '/api/alerts', { limit: 1000 })).alerts;
  spans = capture.exports
    .filter((e) => e.path === '/v1/traces')
    .flatMap((e) => decodeTraces(e.body, e.contentType.includes('json') ? 'json' : 'protobuf').spans);
}, 240_000);

afterAll(async () => {
  if (processor) await stopGroup(processor.handle);
  await stopAll();
  await capture?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const prompts = (): (Prompt & { scenario: string })[] => agent.report.scenarios.flatMap((s) => s.prompts.map((p) => ({ ...p, scenario: s.name })));

describe('one trace per prompt', () => {
  it('the agent ran every scenario with the outcomes it expected', () => {
    expect(agent.report.unexpected).toBe(0);
    expect(agent.report.scenarios.map((s) => s.name)).toEqual(['normal', 'command-injection', 'exfiltration', 'burst', 'denied', 'off-hours', 'rug-pull', 'secret-corpus']);
  });

  it('each prompt is one trace holding the agent span, a client span and a server span per tool call', () => {
    for (const p of prompts()) {
      expect(p.traceId, p.text).toMatch(/^[0-9a-f]{32}$/);
      expect(p.traceId).not.toBe('0'.repeat(32));
      const inTrace = spans.filter((s) => s.traceId === p.traceId);
      const root = inTrace.filter((s) => s.name.startsWith('invoke_agent') && s.attributes['gen_ai.operation.name'] === 'invoke_agent');
      expect(root, `agent span of "${p.text}"`).toHaveLength(1);
      expect(root[0]?.attributes['gen_ai.agent.name']).toBe(p.agent);
      const clientCalls = inTrace.filter((s) => s.kind === SPAN_CLIENT && s.name.startsWith('tools/call '));
      const serverCalls = inTrace.filter((s) => s.kind === SPAN_SERVER && s.name.startsWith('tools/call '));
      expect(clientCalls.map((s) => s.name).sort(), p.text).toEqual(p.calls.map((c) => `tools/call ${c.tool}`).sort());
      expect(serverCalls.map((s) => s.name).sort(), p.text).toEqual(p.calls.map((c) => `tools/call ${c.tool}`).sort());
      // Parentage: client spans under the agent span, each server span under a client span of the same trace.
      for (const c of clientCalls) expect(c.parentSpanId).toBe(root[0]?.spanId);
      const clientIds = new Set(clientCalls.map((c) => c.spanId));
      for (const s of serverCalls) expect(clientIds.has(s.parentSpanId ?? '')).toBe(true);
    }
  });

  it('server spans come from the two instrumented servers, client spans from the agent', () => {
    const services = (kind: number) => new Set(spans.filter((s) => s.kind === kind && s.name.startsWith('tools/call ')).map((s) => s.resource.attributes['service.name']));
    expect([...services(SPAN_SERVER)].sort()).toEqual(['crm-stdio-server', 'workspace-http-server']);
    expect([...services(SPAN_CLIENT)]).toEqual(['support-agent']);
  });
});

describe('one audit record per tool call', () => {
  it('the trail holds exactly one record per call the agent made', () => {
    expect(records).toHaveLength(reportedCalls(agent.report).length);
    const keys = records.map((r) => `${r.trace_id}/${r.span_id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('each prompt trace has its calls with the right tool, outcome, actor, session and schema version', () => {
    for (const p of prompts()) {
      const rows = records.filter((r) => r.trace_id === p.traceId);
      expect(rows.map((r) => `${r.tool}:${r.outcome}`).sort(), p.text).toEqual(p.calls.map((c) => `${c.tool}:${c.outcome}`).sort());
      for (const r of rows) {
        expect(r.schema_version).toBe(AUDIT_SCHEMA_VERSION);
        expect(r.side).toBe('server');
        expect(r.session_id).toMatch(/\S/);
      }
      for (const c of p.calls.filter((x) => x.server === 'http')) {
        const row = rows.find((r) => r.tool === c.tool && r.session_id === c.session);
        expect(row, `${c.tool} in session ${c.session}`).toBeDefined();
        expect(row?.service).toBe('workspace-http-server');
        expect(row?.actor_id).toBe(p.agent === 'intern-bot' ? 'intern-bot' : 'support-agent');
      }
      for (const r of rows.filter((x) => x.service === 'crm-stdio-server')) expect(r.actor_id).toBeNull();
    }
  });

  it('a stdio connection is one session; the rug-pull restart is a second one', () => {
    const rug = agent.report.scenarios.find((s) => s.name === 'rug-pull');
    const sessions = rug?.prompts.map((p) => records.find((r) => r.trace_id === p.traceId)?.session_id);
    expect(sessions).toHaveLength(2);
    expect(sessions?.[0]).not.toBe(sessions?.[1]);
    const normal = agent.report.scenarios.find((s) => s.name === 'normal');
    const stdioSessions = new Set(records.filter((r) => normal?.prompts.some((p) => p.traceId === r.trace_id) && r.service === 'crm-stdio-server').map((r) => r.session_id));
    expect(stdioSessions.size).toBe(1);
  });
});

describe('alerts', () => {
  it('every attack scenario raises its alerts and normal traffic raises none', () => {
    const { missing, unexpectedForNormal } = checkAlerts(agent.report, alerts, EXPECTED_ALERTS);
    expect(missing).toEqual([]);
    expect(unexpectedForNormal.map((a: Alert) => a.rule_id)).toEqual([]);
  });

  it('alert evidence points at records of the trail, in the scenario that caused it', async () => {
    const all = (await api(processor?.url, '/api/audit', { order: 'asc', limit: 1000 })).records as AuditRow[];
    const bySeq = new Map(all.map((r) => [r.seq, r]));
    for (const a of alerts) {
      for (const ref of a.evidence.records) {
        const row = bySeq.get(ref.seq);
        expect(row, `${a.rule_id} evidence seq ${ref.seq}`).toBeDefined();
        if (row?.trace_id) expect(a.evidence.trace_ids).toContain(row.trace_id);
      }
    }
  });
});

describe('no secret leaves the emitters', () => {
  it('the corpus was actually sent through tool arguments', () => {
    const corpus = agent.report.scenarios.find((s) => s.name === 'secret-corpus');
    expect(corpus?.prompts[0]?.calls.length).toBe(secrets.pushed.length * 2);
    expect(secrets.pushed.length).toBeGreaterThanOrEqual(6);
  });

  it('appears nowhere in the store files (SQLite, WAL, SHM)', () => {
    const files = readdirSync(dataDir).filter((f) => f.startsWith('trail.db'));
    expect(files).toContain('trail.db');
    for (const f of files) expect(secrets.find(readFileSync(path.join(dataDir, f))), f).toEqual([]);
  });

  it('appears nowhere in the exported telemetry, the alerts or the audit API', async () => {
    for (const e of capture?.exports ?? []) expect(secrets.find(e.body), e.path).toEqual([]);
    expect(secrets.find(JSON.stringify(alerts))).toEqual([]);
    expect(secrets.find(JSON.stringify(await toolCallRecords(processor?.url)))).toEqual([]);
  });

  it("appears nowhere in any process's log", () => {
    expect(secrets.find(agent.output), 'agent + MCP servers stderr').toEqual([]);
    expect(secrets.find(processor?.handle.output() ?? ''), 'processor').toEqual([]);
  });
});

describe('mcptrail verify', () => {
  const verify = () => spawnSync(process.execPath, [PROCESSOR_CLI, 'verify', '--db', db], { cwd: REPO_ROOT, env: cliEnv(db), encoding: 'utf8', timeout: 60_000 });

  it('passes on the trail as written', () => {
    const out = verify();
    expect(out.status, out.stdout + out.stderr).toBe(0);
  });

  it('fails, naming the record, after a denied call is rewritten as ok in the database', async () => {
    if (processor) await stopGroup(processor.handle);
    const victim = records.find((r) => r.outcome === 'denied');
    expect(victim).toBeDefined();
    const Database = createRequire(path.join(REPO_ROOT, 'packages/processor/package.json'))('better-sqlite3');
    const sqlite = new Database(db);
    const changed = sqlite
      .prepare(`UPDATE audit_records SET body = replace(body, '"outcome":"denied"', '"outcome":"ok"') WHERE seq = ?`)
      .run(victim?.seq).changes;
    sqlite.close();
    expect(changed).toBe(1);
    const out = verify();
    expect(out.status).not.toBe(0);
    expect(out.stdout + out.stderr).toContain(String(victim?.seq));
  });
});
