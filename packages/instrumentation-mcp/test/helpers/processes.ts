import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PACKAGE_DIR = path.resolve(__dirname, '../..');
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');
/** The published start-up specifiers, resolved like a user's would be (workspace symlink → exports map). */
export const REGISTER = '@mcptrail/instrumentation-mcp/register';
export const REQUIRE_REGISTER = ['--require', REGISTER] as const;
export const IMPORT_REGISTER = ['--import', REGISTER] as const;

export function fixture(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits; kills it (SIGKILL) after `timeoutMillis`. */
  finished: Promise<Finished>;
}

const live = new Set<ChildProcess>();

/**
 * Spawn `node <args>` from the package directory with a clean environment:
 * inherited OTEL_*, MCPTRAIL_* and APPLICATIONINSIGHTS_* variables are removed,
 * so each test states exactly what it configures.
 */
export function spawnNode(args: readonly string[], env: Record<string, string>, timeoutMillis: number): Spawned {
  const child = spawn(process.execPath, [...args], {
    cwd: PACKAGE_DIR,
    // A spool of their own: a test's undelivered records must never be replayed into another test.
    env: { MCPTRAIL_SPOOL_DIR: testSpoolDir(), ...cleanEnv(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const finished = new Promise<Finished>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, finished };
}

/** The first stdout line of a fixture that prints `{"port":N}` once listening. */
export async function waitForPort(spawned: Spawned, timeoutMillis = 30_000): Promise<number> {
  let exited: Finished | undefined;
  void spawned.finished.then((f) => {
    exited = f;
  });
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    const line = spawned.stdout().split('\n')[0] ?? '';
    if (line.endsWith('}')) return (JSON.parse(line) as { port: number }).port;
    if (exited) throw new Error(`fixture exited before listening: ${exited.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fixture did not print its port within ${timeoutMillis} ms`);
}

/** For afterAll/finally: no child outlives its test file. */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

let spoolDir: string | undefined;
function testSpoolDir(): string {
  if (spoolDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-test-spool-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    spoolDir = dir;
  }
  return spoolDir;
}

export function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(OTEL_|MCPTRAIL_|APPLICATIONINSIGHTS_|FIXTURE_|NODE_OPTIONS$|VITEST|NODE_EXTRA_CA_CERTS$)/.test(key)) continue;
    out[key] = value;
  }
  return out;
}

/** OTLP export to a test receiver, quickly batched. */
export function otlpEnv(receiverUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
    ...extra,
  };
}

export interface TempDir {
  path: string;
  file(name: string): string;
  read(name: string): string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), `mcptrail-${prefix}-`));
  return {
    path: dir,
    file: (name) => path.join(dir, name),
    read: (name) => readFileSync(path.join(dir, name), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What fixtures/agent.cjs writes to FIXTURE_RESULT_FILE. */
export interface AgentResult {
  agentTraceId: string;
  agentSpanId: string;
  sessionId?: string;
  tools: string[];
  calls: Array<{ name: string; isError: boolean; texts: string[] }>;
  transportErrors: string[];
  toolsAfterRedefine?: Array<{ name: string; description?: string }>;
  failure?: string;
}

export function readAgentResult(dir: TempDir): AgentResult {
  return JSON.parse(dir.read('agent-result.json')) as AgentResult;
}
