/**
 * No audit record lost while the backend is down or the process exits abruptly (issue #12):
 * - a stdio MCP server under `register`, its OTLP endpoint refusing connections or answering 503,
 *   exits within MCPTRAIL_FLUSH_TIMEOUT_MS + 1 s of its stdin closing, with a few short stderr lines
 *   and nothing but JSON-RPC on stdout; its audit records are in the spool;
 * - a client that calls process.exit(0) right after its last call leaves its records in the spool;
 * - a processor started afterwards gets them when the next instrumented process of that service
 *   starts, each call exactly once in the trail, even when the same spool is replayed twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralPort, stopAll, stopGroup } from '../../scripts/demo/processes.mjs';
import { REPO_ROOT, startProcessor, toolCallRecords } from '../../scripts/demo/stack.mjs';

const REGISTER = path.join(REPO_ROOT, 'packages/instrumentation-mcp/dist/register.js');
const STDIO_SERVER = path.join(REPO_ROOT, 'packages/instrumentation-mcp/test/fixtures/stdio-server.cjs');
const EXIT_CLIENT = path.join(__dirname, 'fixtures/exit-client.cjs');
const FLUSH_TIMEOUT_MS = 1000;
const CALLS = 4;

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-spool-'));
const spoolDir = path.join(dir, 'spool');

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from stdin end to exit. */
  exitAfterStdinEnd: number;
}

function env(endpoint: string, service: string, extra: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(OTEL_|MCPTRAIL_|NODE_OPTIONS$)/.test(k))) as Record<string, string>;
  return {
    ...base,
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    // A short metric interval made the server hang for minutes before (issue #12).
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    MCPTRAIL_FLUSH_TIMEOUT_MS: String(FLUSH_TIMEOUT_MS),
    MCPTRAIL_SPOOL_DIR: spoolDir,
    ...extra,
  };
}

/** Drive the stdio server with raw JSON-RPC lines, then close its stdin and time its exit. */
async function runStdioServer(endpoint: string, service: string): Promise<Exited> {
  const child = spawn(process.execPath, ['--require', REGISTER, STDIO_SERVER], { env: env(endpoint, service), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const send = (message: object): void => void child.stdin.write(`${JSON.stringify(message)}\n`);
  const responses = (): number => stdout.split('\n').filter((l) => l.includes('"result"')).length;
  send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spool-test', version: '1.0.0' } } });
  await until(() => responses() >= 1, 20_000, () => stderr);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  for (let i = 1; i <= CALLS; i++) send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'get_weather', arguments: { city: `City ${i}` } } });
  await until(() => responses() >= CALLS + 1, 20_000, () => stderr);
  // Let the batch processors try (and fail) once while the server is still up.
  await new Promise((r) => setTimeout(r, 500));
  const ended = Date.now();
  child.stdin.end();
  const { code, signal } = await exitOf(child, 30_000);
  return { code, signal, stdout, stderr, exitAfterStdinEnd: Date.now() - ended };
}

function exitOf(child: ChildProcess, timeoutMillis: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${timeoutMillis} ms`));
    }, timeoutMillis);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function until(predicate: () => boolean, timeoutMillis: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out; stderr:\n${context()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function runNode(args: string[], environment: Record<string, string>, timeoutMillis = 30_000): Promise<Exited> {
  const child = spawn(process.execPath, args, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return exitOf(child, timeoutMillis).then(({ code, signal }) => ({ code, signal, stdout, stderr, exitAfterStdinEnd: 0 }));
}

interface SpoolLine {
  signal: string;
  count: number;
}
function spooled(service: string): SpoolLine[] {
  const file = path.join(spoolDir, `${service}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SpoolLine);
}
const spooledLogs = (service: string): number => spooled(service).filter((l) => l.signal === 'logs').reduce((n, l) => n + l.count, 0);

/**
 * One backend address for the whole story, as in real life: down (nothing listens: refused), then
 * answering 503, then down again, and at last the processor starting there. Spooled requests are
 * replayed only to the exporter URL they were meant for.
 */
let port: number;
let backend: string;
let unavailableHits = 0;
const runs: Record<string, Exited> = {};

beforeAll(async () => {
  port = await ephemeralPort();
  backend = `http://127.0.0.1:${port}`;
  runs.refused = await runStdioServer(backend, 'spool-refused');
  const unavailable: Server = createServer((req, res) => {
    unavailableHits++;
    req.resume();
    res.writeHead(503, { 'retry-after': '1' }).end();
  });
  await new Promise<void>((r) => unavailable.listen(port, '127.0.0.1', r));
  runs.unavailable = await runStdioServer(backend, 'spool-503');
  unavailable.closeAllConnections();
  await new Promise((r) => unavailable.close(r));
  runs.exit = await runNode(['--require', REGISTER, EXIT_CLIENT], { ...env(backend, 'spool-exit'), FIXTURE_CALLS: '3' });
  runs.off = await runNode(['--require', REGISTER, EXIT_CLIENT], { ...env(backend, 'spool-off', { MCPTRAIL_SPOOL: 'false' }), FIXTURE_CALLS: '3' });
  process.stdout.write(`stdin end → exit: refused ${runs.refused.exitAfterStdinEnd} ms, 503 ${runs.unavailable.exitAfterStdinEnd} ms (bound ${FLUSH_TIMEOUT_MS} + 1000 ms)\n`);
}, 120_000);

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['refused', 'unavailable'] as const)('a stdio server whose backend is %s', (kind) => {
  it(`exits within MCPTRAIL_FLUSH_TIMEOUT_MS + 1 s of stdin closing, on its own`, () => {
    const run = runs[kind] as Exited;
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(run.exitAfterStdinEnd, run.stderr).toBeLessThan(FLUSH_TIMEOUT_MS + 1000);
  });

  it('writes a few short lines to stderr (no stack traces) and only JSON-RPC to stdout', () => {
    const run = runs[kind] as Exited;
    const lines = run.stderr.trim().split('\n').filter(Boolean);
    expect(lines.length, run.stderr).toBeLessThanOrEqual(4);
    for (const line of lines) {
      expect(line.length, line).toBeLessThan(240);
      expect(line).toMatch(/^mcptrail /);
    }
    expect(run.stderr).not.toMatch(/\n\s+at |"stack"/);
    for (const line of run.stdout.trim().split('\n')) expect(JSON.parse(line).jsonrpc).toBe('2.0');
  });

  it('leaves every audit record of the run in the spool', () => {
    expect(spooledLogs(kind === 'refused' ? 'spool-refused' : 'spool-503')).toBeGreaterThanOrEqual(CALLS);
  });
});

it('the 503 backend was really asked (control: the spool is not just the refused path)', () => {
  expect(unavailableHits).toBeGreaterThan(0);
});

it('a client exiting with process.exit(0) right after its last call leaves its records in the spool', () => {
  expect(runs.exit?.code, runs.exit?.stderr).toBe(0);
  // Client and server side of each of the 3 calls.
  expect(spooledLogs('spool-exit')).toBeGreaterThanOrEqual(3);
});

it('control: with MCPTRAIL_SPOOL=false the same client leaves nothing (the spool is what keeps the records)', () => {
  expect(runs.off?.code, runs.off?.stderr).toBe(0);
  expect(spooled('spool-off')).toEqual([]);
});

describe('a processor started afterwards', () => {
  let processor: Awaited<ReturnType<typeof startProcessor>>;
  let copies: string;

  beforeAll(async () => {
    processor = await startProcessor({ db: path.join(dir, 'trail.db'), port, logFile: path.join(dir, 'processor.log') });
    // Keep a copy of every spool file to replay the same requests a second time.
    copies = path.join(dir, 'copies');
    rmSync(copies, { recursive: true, force: true });
    require('node:fs').mkdirSync(copies);
    for (const f of readdirSync(spoolDir)) copyFileSync(path.join(spoolDir, f), path.join(copies, f));
  }, 60_000);

  afterAll(async () => {
    if (processor) await stopGroup(processor.handle);
  });

  /** The next instrumented process of each service replays the spool at start. */
  async function replayAll(): Promise<void> {
    for (const service of ['spool-refused', 'spool-503', 'spool-exit']) {
      const run = await runNode(['--require', REGISTER, '-e', 'setTimeout(() => {}, 1500)'], env(processor.url, service));
      expect(run.code, run.stderr).toBe(0);
    }
  }

  async function recordsOf(expected: number): Promise<Array<{ service: string; trace_id: string; span_id: string; tool: string }>> {
    const deadline = Date.now() + 20_000;
    let records: Array<{ service: string; trace_id: string; span_id: string; tool: string }> = [];
    while (Date.now() < deadline) {
      records = ((await toolCallRecords(processor.url)) as typeof records).filter((r) => r.service.startsWith('spool-') || r.service === 'spool-exit');
      if (records.length >= expected) {
        // Pairing seals halves a little later: wait a moment and read again.
        await new Promise((r) => setTimeout(r, 2500));
        return (await toolCallRecords(processor.url)) as typeof records;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return records;
  }

  it('control: a process of the same service exporting elsewhere replays nothing of it', async () => {
    const other = `http://127.0.0.1:${await ephemeralPort()}`;
    const run = await runNode(['--require', REGISTER, '-e', 'setTimeout(() => {}, 800)'], env(other, 'spool-refused'));
    expect(run.code, run.stderr).toBe(0);
    expect(spooledLogs('spool-refused')).toBeGreaterThanOrEqual(CALLS);
  });

  it('receives every spooled call, each exactly once, and the spool is emptied', async () => {
    await replayAll();
    const records = await recordsOf(CALLS * 2 + 3);
    const byService = (s: string) => records.filter((r) => r.service === s);
    expect(byService('spool-refused')).toHaveLength(CALLS);
    expect(byService('spool-503')).toHaveLength(CALLS);
    expect(byService('exit-server').length + byService('spool-exit').length).toBeGreaterThanOrEqual(3);
    const keys = records.map((r) => `${r.trace_id}/${r.span_id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const service of ['spool-refused', 'spool-503', 'spool-exit']) expect(spooledLogs(service)).toBe(0);
  }, 90_000);

  it('replaying the same spool again adds nothing (the processor deduplicates)', async () => {
    const before = (await toolCallRecords(processor.url)).length;
    for (const f of readdirSync(copies)) copyFileSync(path.join(copies, f), path.join(spoolDir, f));
    await replayAll();
    await new Promise((r) => setTimeout(r, 3000));
    expect((await toolCallRecords(processor.url)).length).toBe(before);
    for (const service of ['spool-refused', 'spool-503', 'spool-exit']) expect(spooledLogs(service)).toBe(0);
  }, 90_000);
});
