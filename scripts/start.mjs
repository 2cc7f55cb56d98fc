#!/usr/bin/env node
/**
 * `npm start` (after `turbo run build`): the whole mcptrail story on one machine.
 *
 *  1. resets the demo data dir (.mcptrail/demo/) — deliberately, so every run starts clean;
 *  2. starts the processor on an embedded SQLite trail (port 4318 if free, else any free port);
 *  3. runs the instrumented agent, which starts the stdio and HTTP MCP servers, through normal
 *     traffic and every attack scenario;
 *  4. prints one session's audit trail, the alerts with their evidence, and `mcptrail verify`;
 *  5. ends with the URL of the web console (/console/), where the same sessions and alerts are;
 *  6. leaves the processor running (Ctrl-C stops it) — or exits, with `--once` or when CI is set.
 *
 * Every child leads its own process group and is stopped on exit, Ctrl-C or SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { choosePort, stopAll, stopGroup } from './demo/processes.mjs';
import {
  api,
  cliEnv,
  EXPECTED_ALERTS,
  PROCESSOR_CLI,
  REPO_ROOT,
  reportedCalls,
  runAgent,
  startProcessor,
  waitForRecords,
} from './demo/stack.mjs';
import { checkAlerts, formatAlerts, formatTimeline, traceIndex } from './demo/summary.mjs';

const once = process.argv.includes('--once') || Boolean(process.env.CI);
const dataDir = path.join(REPO_ROOT, '.mcptrail', 'demo');
const db = path.join(dataDir, 'trail.db');
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const step = (s) => console.log(`${bold('▸')} ${s}`);

let processor;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (processor) {
    step('stopping the processor');
    await stopGroup(processor.handle);
  }
  await stopAll();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

async function main() {
  if (!existsSync(PROCESSOR_CLI)) {
    throw new Error(`${path.relative(REPO_ROOT, PROCESSOR_CLI)} is missing: run \`npm start\` (it builds first) or \`npx turbo run build\``);
  }
  console.log(bold('mcptrail demo: an audited MCP agent, its servers, and the attacks the trail should catch\n'));

  step(`resetting ${path.relative(REPO_ROOT, dataDir)}/ (each run starts from an empty trail)`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const port = await choosePort(4318);
  step(`starting the processor on 127.0.0.1:${port}${port === 4318 ? '' : ' (4318 is taken)'} — log: .mcptrail/demo/processor.log`);
  processor = await startProcessor({ db, port, logFile: path.join(dataDir, 'processor.log') });
  console.log(dim(`  healthy: ${processor.url}/healthz`));

  step('running the agent: normal traffic, then the attack scenarios — log: .mcptrail/demo/agent.log');
  const agent = await runAgent({
    endpoint: processor.url,
    reportPath: path.join(dataDir, 'agent-report.json'),
    logFile: path.join(dataDir, 'agent.log'),
    onLine: (line) => {
      if (line.startsWith('[agent]')) console.log(dim(`  ${line.slice(8)}`));
    },
  });
  if (agent.code !== 0 || !agent.report) {
    console.error(agent.output.slice(-3000));
    throw new Error(`the agent exited with code ${agent.code}; see .mcptrail/demo/agent.log`);
  }

  const calls = reportedCalls(agent.report);
  step(`waiting for the trail to seal ${calls.length} tool calls`);
  const records = await waitForRecords(processor.url, calls.length);
  console.log(dim(`  ${records.length} tool-call records in the trail`));
  if (records.length < calls.length) {
    console.log(`  ✗ expected ${calls.length}: see .mcptrail/demo/processor.log (export errors are in agent.log)`);
    for (const line of processor.handle.output().trim().split('\n').slice(-3)) console.log(dim(`    ${line.slice(0, 200)}`));
  }

  printSession(agent.report, records);
  const alerts = (await api(processor.url, '/api/alerts', { limit: 1000 })).alerts;
  const verdict = printAlertsAndVerify(agent.report, alerts) && records.length === calls.length;

  console.log(`\n${bold('processor running at')} ${processor.url}`);
  console.log(dim(`  try: curl '${processor.url}/api/alerts' · curl '${processor.url}/api/audit?tool=send_email'`));
  console.log(dim(`       node packages/processor/dist/cli/main.js query --db ${path.relative(REPO_ROOT, db)} --tool delete_record`));
  if (!once) console.log(dim('  Ctrl-C stops it.'));
  // Last line: the console, with this run's sessions and alerts in it.
  console.log(`\n${bold('console')} ${processor.url}/console/ ${dim(`— ${records.length} tool calls, ${alerts.length} alerts, the trail's integrity; open it in a browser`)}`);
  if (once) return shutdown(verdict ? 0 : 1);
}

/** The exfiltration scenario's stdio session: a secret read, then data leaving. */
function printSession(report, records) {
  const exfil = report.scenarios.find((s) => s.name === 'exfiltration')?.prompts[0];
  const anchor = records.find((r) => r.trace_id === exfil?.traceId && r.tool === 'read_secret') ?? records[0];
  if (!anchor) return;
  const session = records.filter((r) => r.session_id === anchor.session_id && r.service === anchor.service);
  console.log(`\n${bold('audit trail of one session')} ${dim(`(${anchor.service}, session ${anchor.session_id ?? '—'}, scenario exfiltration)`)}`);
  for (const line of formatTimeline(session)) console.log(line);
  const sameTrace = records.filter((r) => r.trace_id === anchor.trace_id && r.service !== anchor.service);
  if (sameTrace.length) {
    console.log(dim(`  … and in the same trace ${anchor.trace_id?.slice(0, 8)} on ${sameTrace[0].service}:`));
    for (const line of formatTimeline(sameTrace).slice(1)) console.log(line);
  }
}

function printAlertsAndVerify(report, alerts) {
  console.log(`\n${bold(`alerts (${alerts.length})`)}`);
  for (const line of formatAlerts(alerts, traceIndex(report))) console.log(line);
  const { missing, unexpectedForNormal } = checkAlerts(report, alerts, EXPECTED_ALERTS);
  for (const m of missing) console.log(`  ✗ scenario ${m.scenario}: expected an alert from rule ${m.rule}`);
  for (const a of unexpectedForNormal) console.log(`  ✗ normal traffic raised ${a.rule_id}`);
  if (missing.length === 0 && unexpectedForNormal.length === 0) console.log(dim('  every attack scenario raised its alerts; normal traffic raised none'));

  const verify = spawnSync(process.execPath, [PROCESSOR_CLI, 'verify', '--db', db], { cwd: REPO_ROOT, env: cliEnv(db), encoding: 'utf8', timeout: 60_000 });
  console.log(`\n${bold('mcptrail verify')} ${verify.status === 0 ? '✓ intact' : `✗ exit ${verify.status}`}`);
  for (const line of `${verify.stdout}${verify.stderr}`.trim().split('\n').slice(0, 8)) console.log(`  ${line}`);
  return verify.status === 0 && missing.length === 0 && unexpectedForNormal.length === 0;
}

main().catch(async (err) => {
  console.error(`\nmcptrail demo failed: ${err.message}`);
  await shutdown(1);
});
