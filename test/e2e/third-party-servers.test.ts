/**
 * Real third-party MCP servers from npm (`@modelcontextprotocol/server-everything`,
 * `@modelcontextprotocol/server-filesystem`, both ES modules on SDK 1.x) run under the hook, driven by the
 * SDK's Client in an instrumented agent, exporting to a real processor. Every call is one record in the
 * trail; the server writes nothing but JSON-RPC on stdout. The same calls against the uninstrumented
 * server are recorded from the client side, still one record each (client-side audit).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { ephemeralPort, startGroup, stopAll, stopGroup, waitForHttp } from '../../scripts/demo/processes.mjs';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { PROCESSOR_CLI, REPO_ROOT, telemetryEnv, toolCallRecords } from '../../scripts/demo/stack.mjs';

const require = createRequire(import.meta.url);
const REGISTER = '@mcptrail/instrumentation-mcp/register';
const AGENT = path.join(__dirname, 'fixtures', 'third-party-agent.mjs');
const binOf = (pkg: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');
const FALLBACK_WINDOW_MS = 2000;

interface AgentResult {
  traceId: string;
  tools: string[];
  calls: Array<{ name: string; isError?: boolean; code?: number }>;
  errors: string[];
  stdout: string;
  stderr: string;
  failure?: string;
}
interface TrailRecord {
  trace_id: string | null;
  service: string;
  side: string;
  tool: string | null;
  outcome: string;
  parent_span_id: string | null;
  span_id: string | null;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-e2e-third-party-'));
const files = path.join(dataDir, 'files');
let processor: { handle: unknown; url: string };

async function runAgent(
  name: string,
  serverArgs: string[],
  calls: Array<[string, object]>,
  serverEnv: Record<string, string>,
): Promise<AgentResult> {
  const resultFile = path.join(dataDir, `${name}.json`);
  const handle = startGroup(process.execPath, ['--import', REGISTER, AGENT], {
    cwd: REPO_ROOT,
    env: telemetryEnv(processor.url, {
      OTEL_SERVICE_NAME: `${name}-agent`,
      AGENT_SERVER_ARGS: JSON.stringify(serverArgs),
      AGENT_SERVER_ENV: JSON.stringify(serverEnv),
      AGENT_CALLS: JSON.stringify(calls),
      AGENT_RESULT_FILE: resultFile,
    }),
  });
  const { code } = await handle.exited;
  expect(code).toBe(0);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as AgentResult;
}

/** The tool-call records of one trace, once their number stops changing (and the fallback window passed). */
async function recordsOf(traceId: string, expected: number): Promise<TrailRecord[]> {
  const deadline = Date.now() + 30_000;
  let records: TrailRecord[] = [];
  while (Date.now() < deadline) {
    records = ((await toolCallRecords(processor.url)) as TrailRecord[]).filter((r) => r.trace_id === traceId);
    if (records.length >= expected) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  // Anything that would double a call (a client record next to the server's) is due by now.
  await new Promise((r) => setTimeout(r, FALLBACK_WINDOW_MS + 1500));
  return ((await toolCallRecords(processor.url)) as TrailRecord[]).filter((r) => r.trace_id === traceId);
}

function expectJsonRpcOnly(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines.at(-1)).toBe('');
  for (const line of lines.slice(0, -1)) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
}

const EVERYTHING_CALLS: Array<[string, object]> = [
  ['echo', { message: 'hello from the agent' }],
  ['get-sum', { a: 2, b: 3 }],
  ['get-env', {}],
];
const filesystemCalls = (): Array<[string, object]> => [
  ['list_directory', { path: files }],
  ['read_text_file', { path: path.join(files, 'notes.txt') }],
  ['read_text_file', { path: '/etc/shadow' }],
];

beforeAll(async () => {
  mkdirSync(files);
  writeFileSync(path.join(files, 'notes.txt'), 'quarterly notes\n');
  const config = path.join(dataDir, 'processor.yaml');
  writeFileSync(config, `trail:\n  client_fallback_window_ms: ${FALLBACK_WINDOW_MS}\n  pairing_window_ms: 500\n`);
  const port = await ephemeralPort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MCPTRAIL_') && !k.startsWith('OTEL_')));
  const handle = startGroup(
    process.execPath,
    [PROCESSOR_CLI, 'serve', '--config', config, '--db', path.join(dataDir, 'trail.db'), '--port', String(port), '--log-level', 'warn'],
    { cwd: REPO_ROOT, env },
  );
  processor = { handle, url: `http://127.0.0.1:${port}` };
  await waitForHttp(`${processor.url}/healthz`, { timeoutMs: 30_000, handle });
}, 60_000);

afterAll(async () => {
  if (processor) await stopGroup(processor.handle);
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('third-party servers from npm under the hook', () => {
  it('server-everything, hooked through NODE_OPTIONS: every call recorded once, server side; stdout only JSON-RPC', async () => {
    // As examples/mcp-hosts.md shows for hosts that start a server's own bin: an absolute register path.
    const register = require.resolve('@mcptrail/instrumentation-mcp/register.mjs');
    const run = await runAgent('everything', [binOf('@modelcontextprotocol/server-everything'), 'stdio'], EVERYTHING_CALLS, {
      OTEL_SERVICE_NAME: 'everything-server',
      NODE_OPTIONS: `--import ${register}`,
    });
    expect(run.failure, run.stderr).toBeUndefined();
    expect(run.tools).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-env']));
    expectJsonRpcOnly(run.stdout);
    expect(run.errors).toEqual([]);
    expect(run.stderr).not.toMatch(/mcptrail (warn|: not instrumented)/);
    const records = await recordsOf(run.traceId, EVERYTHING_CALLS.length);
    expect(records.map((r) => [r.tool, r.side, r.service])).toEqual(EVERYTHING_CALLS.map(([t]) => [t, 'server', 'everything-server']));
  }, 90_000);

  it('server-filesystem: every call recorded once with its outcome; stdout only JSON-RPC', async () => {
    const calls = filesystemCalls();
    const run = await runAgent('filesystem', ['--import', REGISTER, binOf('@modelcontextprotocol/server-filesystem'), files], calls, {
      OTEL_SERVICE_NAME: 'filesystem-server',
    });
    expect(run.failure, run.stderr).toBeUndefined();
    expectJsonRpcOnly(run.stdout);
    expect(run.calls.map((c) => c.isError)).toEqual([false, false, true]); // /etc/shadow is outside the allowed directory
    const records = await recordsOf(run.traceId, calls.length);
    expect(records.map((r) => [r.tool, r.side, r.outcome])).toEqual([
      ['list_directory', 'server', 'ok'],
      ['read_text_file', 'server', 'ok'],
      ['read_text_file', 'server', 'denied'],
    ]);
  }, 90_000);

  it('the same server uninstrumented: one client-side record per call (client-side audit)', async () => {
    const calls = filesystemCalls();
    const run = await runAgent('uninstrumented', [binOf('@modelcontextprotocol/server-filesystem'), files], calls, {
      OTEL_SERVICE_NAME: 'never-exports',
    });
    expect(run.failure, run.stderr).toBeUndefined();
    expectJsonRpcOnly(run.stdout);
    const records = await recordsOf(run.traceId, calls.length);
    expect(records.map((r) => [r.tool, r.side, r.service])).toEqual(calls.map(([t]) => [t, 'client', 'uninstrumented-agent']));
    // The error result the server returned is the client's outcome too.
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok', 'tool_error']);
  }, 90_000);
});
