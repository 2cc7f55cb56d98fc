/**
 * The same story started the CommonJS way: agent and servers (all CommonJS) under `node --require
 * @mcptrail/instrumentation-mcp/register` instead of the default `--import`. Normal traffic only; the
 * full scenario matrix runs in demo-story.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { ephemeralPort, stopAll, stopGroup } from '../../scripts/demo/processes.mjs';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { reportedCalls, runAgent, startProcessor, waitForRecords } from '../../scripts/demo/stack.mjs';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-e2e-cjs-'));
let processor: { handle: unknown; url: string } | undefined;
let agent: { code: number | null; report: { scenarios: { prompts: { traceId: string }[] }[] }; output: string };
let records: { trace_id: string | null; service: string; session_id: string | null }[] = [];

beforeAll(async () => {
  processor = await startProcessor({ db: path.join(dataDir, 'trail.db'), port: await ephemeralPort() });
  agent = await runAgent({ endpoint: processor.url, scenarios: 'normal', reportPath: path.join(dataDir, 'report.json'), preload: 'require', timeoutMs: 90_000 });
  expect(agent.code, agent.output.slice(-3000)).toBe(0);
  records = await waitForRecords(processor.url, reportedCalls(agent.report).length, { timeoutMs: 30_000 });
}, 150_000);

afterAll(async () => {
  if (processor) await stopGroup(processor.handle);
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('--require register', () => {
  it('records every tool call of both servers, each in its prompt trace', () => {
    expect(records).toHaveLength(reportedCalls(agent.report).length);
    const traces = new Set(agent.report.scenarios.flatMap((s) => s.prompts.map((p) => p.traceId)));
    for (const r of records) expect(traces.has(r.trace_id ?? '')).toBe(true);
    expect(new Set(records.map((r) => r.service))).toEqual(new Set(['crm-stdio-server', 'workspace-http-server']));
  });

  it('says nothing about failing to instrument', () => {
    expect(agent.output).not.toMatch(/not instrumented/);
  });
});
