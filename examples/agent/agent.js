'use strict';
/**
 * The demo agent: runs scripted "prompts" against the stdio CRM server and the HTTP workspace
 * server, one `invoke_agent` trace per prompt.
 *
 *   node --import @mcptrail/instrumentation-mcp/register agent.js --scenario <name>|all
 *        [--http-url http://127.0.0.1:PORT/mcp] [--report report.json]
 *
 * Without --http-url it starts the HTTP server itself. Progress goes to stderr; with --report, a
 * JSON account of every prompt (trace id, calls, expected and actual outcomes) is written there.
 * Exit code 1 when a call's outcome was not the expected one or a server could not be reached.
 */
const { writeFileSync } = require('node:fs');
const { parseArgs } = require('node:util');
const { connectHttp, connectStdio, startHttpServer } = require('./connections.js');
const { withPromptSpan } = require('./prompt-span.js');
const { ORDER, SCENARIOS } = require('./scenarios.js');

const AGENT_NAME = 'support-agent';

function usage(message) {
  process.stderr.write(`${message}\nusage: agent.js --scenario <${[...Object.keys(SCENARIOS), 'all'].join('|')}>[,…] [--http-url URL] [--report FILE]\n`);
  process.exit(2);
}

function parseCli(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { scenario: { type: 'string', default: 'normal' }, 'http-url': { type: 'string' }, report: { type: 'string' } },
    }));
  } catch (err) {
    usage(err.message);
  }
  const scenarios = values.scenario.split(',').flatMap((name) => (name === 'all' ? ORDER : [name]));
  for (const name of scenarios) if (!SCENARIOS[name]) usage(`unknown scenario '${name}'`);
  return { scenarios, httpUrl: values['http-url'], reportPath: values.report };
}

/** Classify a call as the audit trail would: ok, tool_error (isError result), denied, error. */
async function invokeTool(conn, tool, args) {
  try {
    const result = await conn.client.callTool({ name: tool, arguments: args });
    return result.isError ? 'tool_error' : 'ok';
  } catch (err) {
    return /forbidden|unauthori[sz]ed/i.test(err?.message ?? '') ? 'denied' : 'error';
  }
}

async function main() {
  const { scenarios, httpUrl, reportPath } = parseCli(process.argv.slice(2));
  const report = { agent: AGENT_NAME, started: new Date().toISOString(), scenarios: [], unexpected: 0 };
  let httpServer;
  let url = httpUrl;
  if (!url) {
    httpServer = await startHttpServer();
    url = httpServer.url;
  }
  try {
    for (const name of scenarios) {
      process.stderr.write(`[agent] scenario ${name}\n`);
      const entry = { name, prompts: [] };
      report.scenarios.push(entry);
      await SCENARIOS[name](makeRun(entry, url, report));
    }
  } finally {
    await httpServer?.stop();
  }
  report.finished = new Date().toISOString();
  if (reportPath) writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`[agent] done: ${report.scenarios.length} scenario(s), ${report.unexpected} unexpected outcome(s)\n`);
  if (report.unexpected > 0) process.exitCode = 1;
}

/** The handle a scenario drives: connections, prompts and tool calls, all recorded in the report. */
function makeRun(entry, url, report) {
  let current;
  return {
    stdio: (options) => connectStdio(options),
    http: (token) => connectHttp(url, token),
    async prompt(text, fn, agent = AGENT_NAME) {
      const prompt = { text, agent, traceId: null, calls: [] };
      entry.prompts.push(prompt);
      current = prompt;
      const conversationId = `${entry.name}-${entry.prompts.length}`;
      const { traceId } = await withPromptSpan({ agent, conversationId }, fn);
      prompt.traceId = traceId;
      current = undefined;
      const summary = summarizeCalls(prompt.calls);
      process.stderr.write(`[agent]   "${text}" → ${summary} (trace ${traceId})\n`);
    },
    async call(conn, tool, args, expect = 'ok') {
      const outcome = await invokeTool(conn, tool, args);
      const call = { server: conn.kind, session: conn.sessionId ?? null, tool, expect, outcome };
      current?.calls.push(call);
      if (outcome !== expect) {
        report.unexpected += 1;
        process.stderr.write(`[agent]   UNEXPECTED: ${tool} → ${outcome}, expected ${expect}\n`);
      }
      return outcome;
    },
  };
}

/** `get_customer ok ×48, send_email denied ×6`: consecutive identical calls folded. */
function summarizeCalls(calls) {
  const parts = [];
  for (const c of calls) {
    const label = `${c.tool} ${c.outcome}`;
    const last = parts[parts.length - 1];
    if (last?.label === label) last.count += 1;
    else parts.push({ label, count: 1 });
  }
  return parts.map((p) => (p.count > 1 ? `${p.label} ×${p.count}` : p.label)).join(', ') || 'no tool calls';
}

main().catch((err) => {
  process.stderr.write(`[agent] failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
