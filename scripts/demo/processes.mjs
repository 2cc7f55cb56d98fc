/**
 * Child processes for the demo (`npm start`) and the end-to-end tests: each child leads its own
 * process group, so stopping it also stops whatever it spawned (the agent's MCP servers), and a
 * registry kills every group still alive when this process exits — no strays, even on a crash.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

/** Handles of the process groups started here and not yet reaped. */
const live = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL whatever is left.
  process.on('exit', () => {
    for (const handle of live) killGroup(handle.child, 'SIGKILL');
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Spawn `command args` as a process-group leader. stdout/stderr go to `logFile` (if given) and to
 * `onLine(line, stream)` line by line.
 * @returns {{ child: import('node:child_process').ChildProcess, exited: Promise<{ code: number|null, signal: string|null }>, output: () => string }}
 */
export function startGroup(command, args, { cwd, env, logFile, onLine } = {}) {
  installExitHook();
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  let captured = '';
  for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      captured += chunk;
      log?.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, name);
    });
    stream.on('end', () => {
      if (pending) onLine?.(pending, name);
    });
  }
  const handle = { child, exited: undefined, output: () => captured };
  handle.exited = new Promise((resolve) => {
    // 'close' comes once stdout/stderr are drained, so output() is complete; a grandchild that
    // inherited the pipes could hold them open, hence the bounded wait after 'exit'.
    const done = (code, signal) => {
      live.delete(handle);
      log?.end();
      resolve({ code, signal });
    };
    child.once('close', done);
    child.once('exit', (code, signal) => setTimeout(() => done(code, signal), 2000).unref());
    child.once('error', (err) => {
      live.delete(handle);
      captured += `spawn failed: ${err.message}\n`;
      resolve({ code: null, signal: null });
    });
  });
  live.add(handle);
  return handle;
}

/** SIGTERM the group (children flush telemetry on it), SIGKILL after `graceMs`. */
export async function stopGroup(handle, graceMs = 5000) {
  const { child, exited } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  const result = await exited;
  clearTimeout(timer);
  // Anything the leader left behind in its group goes too.
  killGroup(child, 'SIGKILL');
  return result;
}

/** Stop every group this process started. */
export async function stopAll(graceMs = 5000) {
  await Promise.all([...live].map((handle) => stopGroup(handle, graceMs)));
}

/** True when nothing listens on host:port (we could bind it). */
export function portIsFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now. */
export function ephemeralPort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `preferred` if free, else an ephemeral port. */
export async function choosePort(preferred, host = '127.0.0.1') {
  return (await portIsFree(preferred, host)) ? preferred : ephemeralPort(host);
}

/** Poll `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url, { timeoutMs = 30_000, intervalMs = 200, handle } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (handle && (handle.child.exitCode !== null || handle.child.signalCode !== null)) {
      throw new Error(`process exited before ${url} answered:\n${handle.output().slice(-2000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}
