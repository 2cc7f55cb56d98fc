/**
 * The demo stack, shared by `npm start` and the end-to-end tests: the processor on an embedded
 * SQLite store, and the example agent (which starts the instrumented MCP servers itself).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGroup, waitForHttp } from './processes.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROCESSOR_CLI = path.join(REPO_ROOT, 'packages/processor/dist/cli/main.js');
export const AGENT = path.join(REPO_ROOT, 'examples/agent/agent.js');
export const DEMO_RULES = path.join(REPO_ROOT, 'examples/agent/demo-rules.yaml');
export const DEMO_CONFIG = path.join(REPO_ROOT, 'examples/agent/demo-processor.yaml');
export const EXPECTED_ALERTS = JSON.parse(readFileSync(path.join(REPO_ROOT, 'examples/agent/expected-alerts.json'), 'utf8'));

/** Environment for processes we start: no inherited OTEL_* surprises, fast export for a short demo. */
export function telemetryEnv(endpoint, extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    // The processor keeps traces and logs; metrics would only be refused.
    OTEL_METRICS_EXPORTER: 'none',
    // Export within half a second so the trail is complete right after the agent exits.
    OTEL_BSP_SCHEDULE_DELAY: '500',
    OTEL_BLRP_SCHEDULE_DELAY: '500',
    ...extra,
  };
}

/**
 * Where the demo keeps its signing key and witness: beside its data directory (so a reset
 * wipes them with the trail), never in the database's own directory. A real deployment
 * keeps them in ~/.mcptrail or elsewhere off the store (packages/processor/README.md).
 */
export function trustEnv(db) {
  const root = path.dirname(db);
  return { MCPTRAIL_KEY_DIR: path.join(root, 'keys'), MCPTRAIL_WITNESS_DIR: path.join(root, 'witness') };
}

/** Environment for `mcptrail` commands reading the demo trail (no inherited MCPTRAIL_*). */
export function cliEnv(db) {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MCPTRAIL_') && !k.startsWith('OTEL_'))), ...trustEnv(db) };
}

/**
 * Start `mcptrail serve` and wait for /healthz.
 * @returns {Promise<{ handle: ReturnType<typeof startGroup>, url: string }>}
 */
export async function startProcessor({ db, port, rules = DEMO_RULES, logFile, extraArgs = [], onLine, timeoutMs = 30_000 }) {
  const args = [PROCESSOR_CLI, 'serve', '--config', DEMO_CONFIG, '--db', db, '--port', String(port), '--rules', rules, '--log-level', 'warn', ...extraArgs];
  const env = cliEnv(db);
  const handle = startGroup(process.execPath, args, { cwd: REPO_ROOT, env, logFile, onLine });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { timeoutMs, handle });
  return { handle, url };
}

/**
 * Run the instrumented agent through `scenarios` (it starts and stops the MCP servers), all
 * instrumented with `--import` (default) or `--require` (`preload: 'require'`).
 * @returns {Promise<{ code: number|null, report: any, output: string }>}
 */
export async function runAgent({ endpoint, scenarios = 'all', reportPath, logFile, onLine, env = {}, preload = 'import', timeoutMs = 180_000 }) {
  const args = [`--${preload}`, '@mcptrail/instrumentation-mcp/register', AGENT, '--scenario', scenarios, '--report', reportPath];
  const handle = startGroup(process.execPath, args, {
    cwd: path.dirname(AGENT),
    // EXAMPLE_PRELOAD: the agent starts its MCP servers the same way it was started.
    env: telemetryEnv(endpoint, { OTEL_SERVICE_NAME: 'support-agent', EXAMPLE_PRELOAD: preload, ...env }),
    logFile,
    onLine,
  });
  const timer = setTimeout(() => {
    try {
      process.kill(-handle.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  const { code } = await handle.exited;
  clearTimeout(timer);
  let report = null;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch {
    // the agent failed before writing it; the caller reports `code` and the output
  }
  return { code, report, output: handle.output() };
}

/** GET a query-API route as JSON. */
export async function api(baseUrl, route, params = {}) {
  const url = new URL(route, baseUrl);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Every `tools/call` record in the trail (chain order). */
export async function toolCallRecords(baseUrl) {
  const out = [];
  let after;
  let chain;
  for (let page = 0; page < 50; page += 1) {
    const body = await api(baseUrl, '/api/audit', { method: 'tools/call', order: 'asc', limit: 1000, after_seq: after, chain });
    out.push(...body.records);
    if (!body.next) break;
    ({ after_seq: after, chain } = body.next);
  }
  return out;
}

/**
 * Wait until the trail holds at least `expected` tool-call records and the count has stopped
 * moving (span/log pairing seals records a couple of seconds after they arrive).
 */
export async function waitForRecords(baseUrl, expected, { timeoutMs = 30_000, intervalMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let records = [];
  while (Date.now() < deadline) {
    records = await toolCallRecords(baseUrl);
    if (records.length >= expected && records.length === last) return records;
    last = records.length;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return records;
}

/** Tool calls the agent made, from its report. */
export function reportedCalls(report) {
  return report.scenarios.flatMap((s) => s.prompts.flatMap((p) => p.calls.map((c) => ({ ...c, scenario: s.name, traceId: p.traceId }))));
}
