/**
 * The console in a real browser (Debian's chromium through playwright-core, one launch for every
 * view) over the real demo: `mcptrail serve` (built CLI, SQLite), the instrumented agent and both
 * MCP servers running every scenario plus the secret corpus, and one instrumented MCP server whose
 * tool name and argument hold markup. Screenshots of each view go to docs/console/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { ephemeralPort, startGroup, stopAll, stopGroup } from '../../scripts/demo/processes.mjs';
// @ts-expect-error plain ESM helpers shared with `npm start`
import { api, cliEnv, REPO_ROOT, reportedCalls, runAgent, startProcessor, telemetryEnv, waitForRecords } from '../../scripts/demo/stack.mjs';
import { type SecretWatch, secretWatch } from '../e2e/helpers/secrets';

const CHROMIUM = process.env.MCPTRAIL_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'docs/console');
const HOSTILE_TOOL = '<script>window.__pwned=1</script>';
const HOSTILE_ARG = '<img src=x onerror="window.__pwned=2">';
const HOSTILE_FIXTURE = path.join(__dirname, 'fixtures/hostile-tool.cjs');

interface Rec { seq: number; chain_id: string; time: string; method: string; tool: string | null; outcome: string; service: string; session_id: string | null; trace_id: string | null }
interface Alert { id: string; rule_id: string; time: string; evidence: { records: { chain_id: string; seq: number }[]; trace_ids: string[] } }

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-console-'));
const db = path.join(dataDir, 'trail.db');
let processor: { handle: { exited: Promise<unknown>; output(): string }; url: string } | undefined;
let browser: Browser | undefined;
let page: Page;
let secrets: SecretWatch;
let all: Rec[] = [];
let alerts: Alert[] = [];
let corpusTraceIds: string[] = [];
/** Every response body the browser received, and every page's DOM after rendering. */
const seen: Array<{ what: string; body: Buffer | string }> = [];
const consoleErrors: string[] = [];

async function allRecords(url: string): Promise<Rec[]> {
  const out: Rec[] = [];
  let after: number | undefined;
  for (let i = 0; i < 20; i++) {
    const body = await api(url, '/api/audit', { order: 'asc', limit: 1000, after_seq: after, chain: after === undefined ? undefined : 'main' });
    out.push(...body.records);
    if (!body.next) break;
    after = body.next.after_seq;
  }
  return out;
}

/** Opens a console route in a freshly loaded page and waits until it has rendered. */
async function open(route: string, view: string): Promise<void> {
  // A goto that changes only the fragment would not reload the page.
  await page.goto('about:blank');
  await page.goto(`${processor?.url}/console/#/${route}`);
  await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 15_000 });
  seen.push({ what: `DOM of #/${route}`, body: await page.content() });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`).toBe(true);
  mkdirSync(SHOTS, { recursive: true });
  secrets = await secretWatch();
  const corpusFile = path.join(dataDir, 'secret-corpus.json');
  writeFileSync(corpusFile, JSON.stringify(secrets.pushed));

  processor = await startProcessor({ db, port: await ephemeralPort(), logFile: path.join(dataDir, 'processor.log') });
  const agent = await runAgent({
    endpoint: processor.url,
    scenarios: 'all,secret-corpus',
    reportPath: path.join(dataDir, 'agent-report.json'),
    logFile: path.join(dataDir, 'agent.log'),
    env: { EXAMPLE_SECRET_CORPUS: corpusFile },
    timeoutMs: 150_000,
  });
  expect(agent.code, `agent failed:\n${agent.output.slice(-3000)}`).toBe(0);
  corpusTraceIds = agent.report.scenarios.find((x: { name: string }) => x.name === 'secret-corpus').prompts.map((p: { traceId: string }) => p.traceId);

  const hostile = startGroup(process.execPath, ['--require', '@mcptrail/instrumentation-mcp/register', HOSTILE_FIXTURE], {
    cwd: path.dirname(HOSTILE_FIXTURE),
    env: telemetryEnv(processor.url, { OTEL_SERVICE_NAME: 'hostile-server', HOSTILE_TOOL, HOSTILE_ARG }),
  });
  const { code } = await hostile.exited;
  expect(code, hostile.output()).toBe(0);

  await waitForRecords(processor.url, reportedCalls(agent.report).length + 1, { timeoutMs: 30_000 });
  // Requests other than tools/call (initialize, a span whose log record never comes) may seal
  // up to the pairing window (2 s) later: wait until the count holds for 3 s.
  for (let i = 0, still = 0; i < 30 && still < 3; i++) {
    const now = await allRecords(processor.url);
    still = now.length === all.length ? still + 1 : 0;
    all = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
  alerts = (await api(processor.url, '/api/alerts', { limit: 1000 })).alerts;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives every launch a fresh temporary profile (its own --user-data-dir).
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('response', async (res) => {
    try {
      seen.push({ what: `response ${res.url()}`, body: await res.body() });
    } catch {
      // redirects have no body
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (processor) await stopGroup(processor.handle);
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
});

const calls = () => all.filter((r) => r.method === 'tools/call');

describe('overview', () => {
  it('shows the calls, outcomes and alerts of the demo', async () => {
    await open('overview?since=30d', 'overview');
    const card = async (id: string) => (await page.textContent(`[data-testid="${id}"] .card-value`))?.replace(/,/g, '');
    const since = Date.now() - 30 * 86_400_000;
    // Every MCP request of the trail counts (tools/call, initialize, …).
    const inRange = all.filter((r) => Date.parse(r.time) >= since);
    expect(inRange.length).toBeGreaterThan(calls().length);
    expect(await card('calls')).toBe(String(inRange.length));
    for (const outcome of ['ok', 'tool_error', 'error', 'denied']) {
      expect(await card(outcome), outcome).toBe(String(inRange.filter((r) => r.outcome === outcome).length));
    }
    expect(Number(await card('denied'))).toBeGreaterThan(0);
    expect(await card('alerts')).toBe(String(alerts.filter((a) => Date.parse(a.time) >= since).length));
    // Top tools: the busiest tool of the demo heads the list with its count.
    const counts = new Map<string, number>();
    for (const r of inRange) if (r.tool !== null) counts.set(r.tool, (counts.get(r.tool) ?? 0) + 1);
    const [topTool, topCount] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const firstRow = await page.locator('section:has(h2:text-is("Top tools")) tbody tr').first().locator('td').allTextContents();
    expect(firstRow.slice(0, 2)).toEqual([topTool, String(topCount)]);
    await shot('overview');
  });

  it('narrows to one actor from the top actors table', async () => {
    await page.click('section:has(h2:text-is("Top actors")) a:text-is("intern-bot")');
    await page.waitForSelector('a.pill.filter');
    await page.waitForFunction(() => document.querySelector('[data-testid="calls"] .card-value')?.textContent !== null);
    await page.waitForSelector('body[data-ready="overview"]');
    const want = all.filter((r) => (r as unknown as { actor_id: string | null }).actor_id === 'intern-bot').length;
    await expect.poll(async () => (await page.textContent('[data-testid="calls"] .card-value'))?.replace(/,/g, '')).toBe(String(want));
  });
});

describe('alerts and their evidence', () => {
  it('lists every alert with its level, rule and tags', async () => {
    await open('alerts', 'alerts');
    const rows = page.locator('table.alerts tbody tr');
    expect(await rows.count()).toBe(alerts.length);
    const text = (await page.textContent('table.alerts')) ?? '';
    for (const a of alerts) expect(text).toContain(a.rule_id);
    expect(text).toMatch(/owasp-mcp:MCP\d\d/);
    expect(text).toMatch(/safe-mcp:SAFE-T\d{4}/);
    await shot('alerts');
  });

  it("an evidence link opens the session timeline of the alert's record, its calls in time order, the evidence highlighted", async () => {
    // The exfiltration story (a secret read, then data leaving) when it names records; else any alert with evidence.
    const withRecords = alerts.filter((a) => a.evidence.records.length > 0);
    const alert = withRecords.find((a) => a.rule_id === 'secret-then-send') ?? withRecords[0];
    expect(alert, `an alert with evidence records among ${alerts.map((a) => a.rule_id).join(', ')}`).toBeDefined();
    const first = alert?.evidence.records[0] as { chain_id: string; seq: number };
    const anchor = all.find((r) => r.seq === first.seq) as Rec;
    await open('alerts', 'alerts');
    await page.evaluate(() => document.body.removeAttribute('data-ready'));
    await page.click(`a.evidence-link[href*="seq=${first.seq}&alert=${alert?.id}"]`);
    await page.waitForSelector('body[data-ready="timeline"]');
    seen.push({ what: 'DOM of the evidence timeline', body: await page.content() });
    expect(await page.textContent('[data-testid="scope-session"]')).toBe(anchor.session_id);
    const expected = all
      .filter((r) => r.session_id === anchor.session_id && r.service === anchor.service)
      .sort((a, b) => a.time.localeCompare(b.time) || a.seq - b.seq)
      .map((r) => String(r.seq));
    const shown = await page.locator('table.timeline tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')));
    expect(shown).toEqual(expected);
    const highlighted = await page.locator('tr.evidence').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    const inSession = new Set(expected.map(Number));
    expect(highlighted.sort((a, b) => a - b)).toEqual(alert?.evidence.records.map((r) => r.seq).filter((s) => inSession.has(s)).sort((a, b) => a - b));
    expect(highlighted).toContain(first.seq);
    // The tool of each shown row is the record's tool.
    const tools = await page.locator('table.timeline tbody tr td.tool').allTextContents();
    expect(tools).toEqual(expected.map((s) => { const r = all.find((x) => String(x.seq) === s) as Rec; return r.tool ?? r.method; }));
    await shot('timeline');
  });

  it('acknowledge and resolve change alert state, not the trail', async () => {
    const before = (await api(processor?.url, '/api/audit', { order: 'asc', limit: 1000 })).records.length;
    await open('alerts', 'alerts');
    const row = page.locator('table.alerts tbody tr').first();
    await page.evaluate(() => document.body.removeAttribute('data-ready'));
    await row.locator('button[data-state="acknowledged"]').click();
    await page.waitForSelector('body[data-ready="alerts"]');
    expect(await page.locator('table.alerts tbody tr').first().locator('[data-testid="alert-state"]').textContent()).toBe('acknowledged');
    await page.evaluate(() => document.body.removeAttribute('data-ready'));
    await page.locator('table.alerts tbody tr').nth(1).locator('button[data-state="resolved"]').click();
    await page.waitForSelector('body[data-ready="alerts"]');
    const states = (await api(processor?.url, '/console/api/alerts', { limit: 1000 })).alerts.map((a: { state: { state: string } }) => a.state.state);
    expect(states.filter((s: string) => s === 'acknowledged')).toHaveLength(1);
    expect(states.filter((s: string) => s === 'resolved')).toHaveLength(1);
    await shot('alerts-triaged');
    expect((await api(processor?.url, '/api/audit', { order: 'asc', limit: 1000 })).records.length).toBe(before);
    expect((await api(processor?.url, '/api/verify')).ok).toBe(true);
  });
});

describe('telemetry is text, never markup', () => {
  it('a tool name and an argument holding markup render literally, and nothing runs', async () => {
    const hostile = all.find((r) => r.service === 'hostile-server' && r.method === 'tools/call') as Rec;
    expect(hostile?.tool).toBe(HOSTILE_TOOL);
    await open(`timeline?session=${encodeURIComponent(hostile.session_id as string)}&service=hostile-server`, 'timeline');
    const cell = page.locator(`tr[data-seq="${hostile.seq}"] td.tool`);
    expect(await cell.textContent()).toBe(HOSTILE_TOOL);
    expect(await page.locator(`tr[data-seq="${hostile.seq}"] code.args`).textContent()).toContain(HOSTILE_ARG.replace(/"/g, '\\"'));
    // Control: the markup would have made elements; there are none, and no script ran.
    expect(await page.locator('main script, main img, main b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.textContent('main')).toContain('<b>hostile-client</b>');
    await shot('timeline-hostile');
  });

  it('every console response carries a strict Content-Security-Policy, and the page raised no CSP violation', async () => {
    const res = await page.goto(`${processor?.url}/console/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res?.headers()['x-content-type-options']).toBe('nosniff');
    await page.waitForSelector('body[data-ready="overview"]');
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe('baselines', () => {
  it("shows an actor's hourly profile and rate band", async () => {
    await open('baselines', 'baselines');
    await page.evaluate(() => document.body.removeAttribute('data-ready'));
    await page.click('tr:has(td:text-is("intern-bot")) a:text-is("actor")');
    await page.waitForSelector('body[data-ready="baselines"]');
    expect(await page.textContent('h1')).toBe('Baseline');
    expect(await page.locator('svg.heat rect').count()).toBe(168);
    const observed = (await page.textContent('[data-testid="observations"] .card-value'))?.replace(/,/g, '');
    // Detection is derived state: its count may trail the records, never exceed them.
    expect(Number(observed)).toBeGreaterThan(0);
    expect(Number(observed)).toBeLessThanOrEqual(all.filter((r) => (r as unknown as { actor_id: string | null }).actor_id === 'intern-bot').length);
    await shot('baseline');
  });
});

describe('no secret reaches the console', () => {
  it('appears in no page, API response or asset the browser loaded', async () => {
    for (const file of readdirSync(path.join(REPO_ROOT, 'packages/processor/console-assets'))) {
      seen.push({ what: `asset ${file}`, body: readFileSync(path.join(REPO_ROOT, 'packages/processor/console-assets', file)) });
    }
    // The corpus went through tool arguments: the console shows those calls (redacted).
    expect(corpusTraceIds.length).toBeGreaterThan(0);
    for (const traceId of corpusTraceIds) {
      await open(`timeline?trace_id=${traceId}`, 'timeline');
      const want = all.filter((r) => r.trace_id === traceId).length;
      expect(want).toBeGreaterThanOrEqual(secrets.pushed.length);
      expect(await page.locator('table.timeline tbody tr').count()).toBe(want);
    }
    await shot('timeline-redacted');
    for (const s of seen) expect(secrets.find(s.body), s.what).toEqual([]);
  });
});

describe('integrity', () => {
  it('a verify run on the intact trail passes', async () => {
    await open('integrity', 'integrity');
    await page.click('[data-testid="verify"]');
    await page.waitForSelector('[data-testid="verdict-text"]');
    expect(await page.textContent('[data-testid="verdict-text"]')).toContain('intact');
    await shot('integrity');
  });

  it('a tampered trail shows a failed verify naming the record', async () => {
    const victim = calls().find((r) => r.outcome === 'denied') as Rec;
    const Database = createRequire(path.join(REPO_ROOT, 'packages/processor/package.json'))('better-sqlite3');
    const sqlite = new Database(db);
    sqlite.pragma('busy_timeout = 5000');
    const changed = sqlite.prepare(`UPDATE audit_records SET body = replace(body, '"outcome":"denied"', '"outcome":"ok"') WHERE chain_id = 'main' AND seq = ?`).run(victim.seq).changes;
    sqlite.close();
    expect(changed).toBe(1);
    await open('integrity', 'integrity');
    await page.click('[data-testid="verify"]');
    await page.waitForSelector('[data-testid="verdict-text"]');
    expect(await page.textContent('[data-testid="verdict-text"]')).toContain('FAILED');
    expect(await page.textContent('[data-testid="verdict"]')).toContain(`modified at seq ${victim.seq}`);
    await shot('integrity-tampered');
    // The CLI agrees.
    const cli = spawnSync(process.execPath, [path.join(REPO_ROOT, 'packages/processor/dist/cli/main.js'), 'verify', '--db', db], { env: cliEnv(db), encoding: 'utf8', timeout: 60_000 });
    expect(cli.status).not.toBe(0);
    expect(cli.stdout + cli.stderr).toContain(String(victim.seq));
  });
});
