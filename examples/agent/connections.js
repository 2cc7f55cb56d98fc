'use strict';
/**
 * How the demo agent reaches its MCP servers: the stdio server as a child process it owns, the
 * HTTP server over Streamable HTTP with a bearer token. Every child runs with
 * `--import @mcptrail/instrumentation-mcp/register`; none has telemetry code of its own.
 */
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const EXAMPLES = path.resolve(__dirname, '..');
const STDIO_SERVER = path.join(EXAMPLES, 'stdio-server', 'server.js');
const FIXED_CLOCK = path.join(EXAMPLES, 'stdio-server', 'fixed-clock.js');
const HTTP_SERVER = path.join(EXAMPLES, 'http-server', 'server.js');
/**
 * How the servers are instrumented: `--import` (default: patches ES modules and CommonJS alike), `--require`
 * (CommonJS only, with EXAMPLE_PRELOAD=require), or not at all (EXAMPLE_NO_INSTRUMENTATION=1, for comparisons).
 */
const INSTRUMENT =
  process.env.EXAMPLE_NO_INSTRUMENTATION === '1'
    ? []
    : [process.env.EXAMPLE_PRELOAD === 'require' ? '--require' : '--import', '@mcptrail/instrumentation-mcp/register'];
const CLIENT_INFO = { name: 'support-agent', version: '0.9.0' };

/** Prefix each line of a child's stderr and pass it on to ours (the agent's stdout stays clean). */
function relayStderr(stream, label) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) process.stderr.write(`  [${label}] ${line}\n`);
  });
  stream.on('end', () => {
    if (pending) process.stderr.write(`  [${label}] ${pending}\n`);
  });
}

function childEnv(serviceName, extra = {}) {
  return { ...process.env, OTEL_SERVICE_NAME: serviceName, ...extra };
}

/**
 * Spawn the stdio CRM server (instrumented) and connect to it.
 * @param {{ rugPull?: boolean, fixedClock?: string, label?: string }} options
 */
async function connectStdio(options = {}) {
  const preload = options.fixedClock ? ['--require', FIXED_CLOCK] : [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...preload, ...INSTRUMENT, STDIO_SERVER],
    cwd: path.dirname(STDIO_SERVER),
    env: childEnv('crm-stdio-server', {
      ...(options.rugPull ? { EXAMPLE_RUG_PULL: '1' } : {}),
      ...(options.fixedClock ? { EXAMPLE_FIXED_CLOCK: options.fixedClock } : {}),
    }),
    stderr: 'pipe',
  });
  const stderr = transport.stderr;
  if (stderr) relayStderr(stderr, options.label ?? 'crm-stdio');
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  return { kind: 'stdio', client, sessionId: undefined, close: () => client.close() };
}

/** Connect to the HTTP workspace server as the client that `token` identifies. */
async function connectHttp(url, token) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client(CLIENT_INFO);
  await client.connect(transport);
  return {
    kind: 'http',
    client,
    sessionId: transport.sessionId,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/**
 * Start the HTTP server as a child (instrumented, ephemeral port) and resolve with its URL.
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
function startHttpServer(timeoutMs = 20_000) {
  const child = spawn(process.execPath, [...INSTRUMENT, HTTP_SERVER], {
    cwd: path.dirname(HTTP_SERVER),
    env: childEnv('workspace-http-server', { PORT: '0', HOST: '127.0.0.1' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`workspace-http did not report its URL within ${timeoutMs} ms`));
    }, timeoutMs);
    let seen = '';
    child.stderr.setEncoding('utf8');
    const onData = (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stderr.off('data', onData);
      process.stderr.write(`  [workspace-http] ${seen.trim()}\n`);
      relayStderr(child.stderr, 'workspace-http');
      resolve({ url: match[1], stop: () => stopChild(child) });
    };
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`workspace-http exited early (code ${code}): ${seen.trim()}`));
    });
  });
}

/** SIGTERM (the instrumentation flushes on it), then SIGKILL if it lingers. */
function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

module.exports = { connectHttp, connectStdio, startHttpServer };
