// Latency under load: how long `/healthz` and a small OTLP request (one span) take while the
// processor chews on 8 MiB OTLP requests, and while `/api/verify` hashes a 1M-record trail.
// A probe client sends one of each every --probe-ms on its own connections; the loaders run
// beside it. Each phase runs against `mcptrail serve` from --cli (default: this checkout's
// build) and, with --before-cli, against another build in the same run (side by side).
// Inside `mcptrail serve`, lib/loop-monitor.cjs records each phase's event-loop delay, stalls,
// GC pauses and the main thread's CPU and run-queue time (runnable, but another process had the
// core): that, and the load average, tell the machine's load from stalls of our own.
// node latency.bench.mjs [--records 1000000] [--big 6] [--probe-ms 100] [--idle-s 3] [--settle-s 3]
//   [--before-cli /path/to/old/packages/processor/dist/cli/main.js] [--label name] [--trail-dir /tmp]
//   [--nice -10]        run serve (and this client) ahead of the machine's other load (root)
//   [--no-fsync yes]    diagnosis only: serve under libeatmydata (fsync a no-op), to see what fsync costs
//   [--verify no]       skip the /api/verify phase (measure the 8 MiB phase only)
//   [--rollup keep]     keep the cached trail's console rollup as the last run left it (default: drop it, so
//                       serve catches the whole trail up during the verify phase, the same in every run)
//   [--profile-dir DIR] serve with --cpu-prof, and the loop monitor's stalls beside the profiles
//                       (each stall's frames: node lib/profile-stalls.cjs PROFILE --monitor DIR/<label>-<build>-ingest.jsonl)
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { makeTrail } from './lib/make-trail.mjs';
import { createCallFactory } from './lib/otlp-encode.mjs';
import { cpuSeconds } from './lib/proc.mjs';
import { writeResult } from './lib/results.mjs';
import { commandLine, flags, fmt, machineLine, quantile, table } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const opts = flags({ records: 1_000_000, big: 6, probeMs: 100, idleS: 3, settleS: 3, beforeCli: '', label: 'latency', trailDir: tmpdir(), maxBodyMib: 8, nice: '0', noFsync: '', profileDir: '', verify: 'yes', rollup: 'reset' });
const nice = Number(opts.nice);
if (nice !== 0) os.setPriority(nice);
const EAT_MY_DATA = '/usr/lib/x86_64-linux-gnu/libeatmydata.so';
if (opts.noFsync && !existsSync(EAT_MY_DATA)) throw new Error(`--no-fsync needs ${EAT_MY_DATA} (apt-get install eatmydata)`);
const here = path.dirname(fileURLToPath(import.meta.url));
const currentCli = require.resolve('@mcptrail/processor/package.json').replace(/package\.json$/, 'dist/cli/main.js');
const log = (m) => process.stderr.write(`${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// 1. Bodies, encoded before any clock starts: 8 MiB (after decompression, the default cap) of
//    spans, the same for log records, and a one-span probe.
const shape = JSON.parse(execFileSync(process.execPath, [path.join(here, 'lib/capture-shape.cjs')], { encoding: 'utf8' }));
const factory = createCallFactory(shape, { actors: 500, service: 'bench-latency' });
const cap = opts.maxBodyMib * 1024 * 1024;
function largest(kind) {
  const probe = factory.batch(0, 1000);
  const per = gunzipSync(probe[kind]).length / 1000;
  let n = Math.floor(cap / per);
  for (;;) {
    const b = factory.batch(10_000_000, 10_000_000 + n);
    if (gunzipSync(b[kind]).length <= cap) return { body: b[kind], calls: n, raw: gunzipSync(b[kind]).length };
    n = Math.floor(n * 0.98);
  }
}
const bigTraces = largest('traces');
const bigLogs = largest('logs');
log(`big requests: ${bigTraces.calls} spans (${fmt(bigTraces.raw / 1048576)} MiB) and ${bigLogs.calls} log records (${fmt(bigLogs.raw / 1048576)} MiB)`);
let probeSeq = 0;
const probeBody = () => factory.batch(20_000_000 + probeSeq, 20_000_000 + ++probeSeq).traces;

function post(agent, url, pathname, body, timeoutMs = 120_000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
}
function get(agent, url, pathname, timeoutMs = 600_000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: pathname, agent }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, text }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, text: '' }));
    req.end();
  });
}

let serveCount = 0;
async function startServe(cli, db, home, monitorFile) {
  // The trail's own key (make-trail's), and a private HOME: newer builds keep witness files and keys under ~/.mcptrail.
  const node = ['--require', path.join(here, 'lib/loop-monitor.cjs'), ...(opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [])];
  const env = { ...process.env, HOME: home, MCPTRAIL_LOOP_MONITOR: monitorFile, ...(opts.noFsync ? { LD_PRELOAD: EAT_MY_DATA } : {}) };
  const argv = [...node, cli, 'serve', '--db', db, '--signing-key', `${db}.ed25519.pem`, '--port', '0', '--log-level', 'warn'];
  // Through nice(1), so that every thread of serve starts at that priority (nice execs node: same pid).
  const child = nice !== 0 ? spawn('nice', ['-n', String(nice), process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env }) : spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"url":"(http:[^"]+)"/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.slice(-2000)}`)));
  });
  // serve's warnings and errors (JSON lines at --log-level warn), counted by message per phase.
  const messages = new Map();
  let tail = '';
  // With --profile-dir, serve's stderr is kept beside the profiles (the whole messages, not only their counts).
  const keep = opts.profileDir ? path.join(opts.profileDir, `${opts.label}-serve-${++serveCount}-${path.basename(monitorFile, '.jsonl')}.stderr.log`) : null;
  child.stderr.on('data', (d) => {
    if (keep) appendFileSync(keep, d);
    const lines = (tail + d).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) {
      const m = /"msg":"([^"]{1,120})"/.exec(line);
      if (m && !line.includes('"url":"')) messages.set(m[1], (messages.get(m[1]) ?? 0) + 1);
    }
  });
  return { child, url, messages };
}
const messageText = (m) => [...m].map(([k, v]) => `${v}× ${k}`).join('; ') || 'none';

/**
 * Fires one /healthz and one small OTLP request every probeMs on a fixed schedule, never waiting
 * for earlier ones (so a stall shows in every probe it delays, not in one: no coordinated
 * omission), until stop(). A failed probe counts with the time it took to fail.
 */
function probe(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const out = { healthz: [], otlp: [], failed: 0, skipped: 0, statuses: {} };
  const inflight = new Set();
  const track = (promise, into) => {
    const p = promise.then((r) => {
      into.push(r.ms);
      if (r.status !== 200) {
        out.failed++;
        out.statuses[r.status] = (out.statuses[r.status] ?? 0) + 1;
      }
    });
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  };
  const timer = setInterval(() => {
    if (inflight.size > 2000) {
      out.skipped++;
      return;
    }
    track(get(agent, url, '/healthz', 120_000), out.healthz);
    track(post(agent, url, '/v1/traces', probeBody(), 120_000), out.otlp);
  }, opts.probeMs);
  return {
    async stop() {
      clearInterval(timer);
      while (inflight.size > 0) await Promise.all([...inflight]);
      agent.destroy();
      return out;
    },
  };
}

const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length ? Math.max(...xs) : Number.NaN });

/** Ends a monitor phase in serve (SIGUSR2: the loop monitor appends it) and in this client. */
const clientLoop = { h: monitorEventLoopDelay({ resolution: 5 }) };
clientLoop.h.enable();
async function markPhase(child) {
  child.kill('SIGUSR2');
  const h = clientLoop.h;
  h.disable();
  clientLoop.h = monitorEventLoopDelay({ resolution: 5 });
  clientLoop.h.enable();
  await sleep(100);
  return { clientDelayP99: h.percentile(99) / 1e6, clientDelayMax: h.max / 1e6, loadAvg: os.loadavg()[0] };
}
const monitorLines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
/** With --profile-dir, the monitor's stalls go beside the profiles (lib/profile-stalls.cjs --monitor FILE). */
const keepMonitor = (file, name) => {
  if (opts.profileDir && existsSync(file)) copyFileSync(file, path.join(opts.profileDir, `${opts.label}-${name}.jsonl`));
};
/** Serve is up: /healthz answers (and its threads had settleS to load). */
async function settle(url) {
  const agent = new Agent();
  for (let i = 0; i < 200 && (await get(agent, url, '/healthz', 5000)).status !== 200; i++) await sleep(50);
  agent.destroy();
  await sleep(opts.settleS * 1000);
}

/**
 * The same start in every run: without its console rollup (tables `rollup_*`, which a cached trail keeps from the
 * last run, part caught up), serve catches the whole trail up while the verify runs, the costliest case for the
 * write gate. `--rollup keep` leaves them as the last run left them.
 */
function dropConsoleRollup(dist, file) {
  const Database = createRequire(path.join(dist, 'index.js'))('better-sqlite3');
  const db = new Database(file);
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup\\_%' ESCAPE '\\'`).pluck().all();
    db.transaction(() => {
      for (const t of tables) db.exec(`DROP TABLE "${t}"`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

async function runVariant(name, cli) {
  const dist = path.resolve(path.dirname(cli), '..');
  const result = { name, cli };
  const work = mkdtempSync(path.join(tmpdir(), `mcptrail-latency-${name}-`));
  try {
    // Phase A: idle, then big OTLP requests back to back (traces and logs alternating).
    const monA = path.join(work, 'loop-a.jsonl');
    const a = await startServe(cli, path.join(work, 'ingest.db'), work, monA);
    await settle(a.url);
    await markPhase(a.child);
    const cpu0 = cpuSeconds(a.child.pid);
    let p = probe(a.url);
    await sleep(opts.idleS * 1000);
    result.idle = await p.stop();
    result.idleClient = await markPhase(a.child);
    const loader = new Agent({ keepAlive: true, maxSockets: 1 });
    p = probe(a.url);
    const t0 = performance.now();
    const bigs = [];
    for (let i = 0; i < opts.big; i++) bigs.push(await post(loader, a.url, i % 2 ? '/v1/logs' : '/v1/traces', i % 2 ? bigLogs.body : bigTraces.body));
    result.bigSeconds = (performance.now() - t0) / 1000;
    result.big = await p.stop();
    result.bigClient = await markPhase(a.child);
    result.ingestMessages = messageText(a.messages);
    result.bigStatus = bigs.map((b) => b.status);
    result.bigMs = bigs.map((b) => b.ms);
    result.ingestCpu = cpuSeconds(a.child.pid) - cpu0;
    loader.destroy();
    a.child.kill('SIGTERM');
    await new Promise((r) => a.child.once('exit', r));
    // Monitor lines: settle, idle, big, exit.
    keepMonitor(monA, `${name}-ingest`);
    const la = monitorLines(monA);
    result.idleLoop = la[1] ?? null;
    result.bigLoop = la[2] ?? null;

    if (opts.verify !== 'no') {
      // Phase B: verify a 1M-record trail (made with this build) through the API.
      const trail = await makeTrail(dist, path.join(opts.trailDir, `mcptrail-latency-${name}-${opts.records}.db`), opts.records, log);
      if (opts.rollup === 'reset') dropConsoleRollup(dist, trail.file);
      const monB = path.join(work, 'loop-b.jsonl');
      const b = await startServe(cli, trail.file, work, monB);
      await settle(b.url);
      await markPhase(b.child);
      p = probe(b.url);
      await sleep(1000);
      const cpu1 = cpuSeconds(b.child.pid);
      const v = await get(new Agent(), b.url, '/api/verify');
      result.verifyCpu = cpuSeconds(b.child.pid) - cpu1;
      result.verify = await p.stop();
      result.verifyClient = await markPhase(b.child);
      result.verifyMessages = messageText(b.messages);
      result.verifySeconds = v.ms / 1000;
      result.verifyOk = v.status === 200 ? JSON.parse(v.text).ok : `HTTP ${v.status}: ${v.text.slice(0, 200)}`;
      result.verifyRecords = v.status === 200 ? JSON.parse(v.text).records : null;
      b.child.kill('SIGTERM');
      await new Promise((r) => b.child.once('exit', r));
      keepMonitor(monB, `${name}-verify`);
      result.verifyLoop = monitorLines(monB)[1] ?? null;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}

const variants = [];
if (opts.beforeCli) variants.push(['before', opts.beforeCli]);
variants.push(['after', currentCli]);
const results = [];
for (const [name, cli] of variants) {
  log(`== ${name}: ${cli}`);
  results.push(await runVariant(name, cli));
}

const rows = [];
const loopRows = [];
for (const r of results) {
  const phases = [
    ['idle', r.idle, r.idleLoop, r.idleClient],
    [`${opts.big} × 8 MiB OTLP requests`, r.big, r.bigLoop, r.bigClient],
    ...(r.verify ? [[`/api/verify, ${fmt(r.verifyRecords ?? opts.records, 0)} records`, r.verify, r.verifyLoop, r.verifyClient]] : []),
  ];
  for (const [phase, data, loop, client] of phases) {
    const h = summary(data.healthz);
    const o = summary(data.otlp);
    rows.push([r.name, phase, `${fmt(h.p50)} / **${fmt(h.p99)}** / ${fmt(h.max)}`, `${fmt(o.p50)} / **${fmt(o.p99)}** / ${fmt(o.max)}`, `${h.n + o.n}${data.failed ? ` (${data.failed} failed: ${Object.entries(data.statuses).map(([k, v]) => `${v}× ${k === '0' ? 'timeout/reset' : `HTTP ${k}`}`).join(', ')})` : ''}${data.skipped ? ` (${data.skipped} rounds skipped: 2,000 in flight)` : ''}`]);
    loopRows.push([
      r.name,
      phase,
      loop ? `${fmt(loop.delay.p50)} / ${fmt(loop.delay.p90)} / **${fmt(loop.delay.p99)}** / ${fmt(loop.delay.max)}` : 'n/a',
      loop ? `${loop.stallCount} (${fmt(loop.stallMs, 0)} ms)` : 'n/a',
      loop ? `${loop.gc.count}, max ${loop.gc.maxMs} ms` : 'n/a',
      loop ? `${fmt(loop.seconds, 1)} s / ${fmt(loop.mainCpuS, 2)} s / **${fmt(loop.mainRunQueueS, 2)} s**` : 'n/a',
      `${fmt(client.loadAvg, 1)}`,
      `${fmt(client.clientDelayP99)} / ${fmt(client.clientDelayMax)}`,
    ]);
  }
}
const md = [
  `### Latency under load (${opts.label})`,
  '',
  `\`${commandLine()}\` — ${machineLine()}`,
  '',
  `Probe: one \`GET /healthz\` and one one-span OTLP/HTTP protobuf request every ${opts.probeMs} ms on a fixed schedule (never waiting for earlier probes, so a stall delays every probe sent during it), on their own connections. Big requests: ${fmt(bigTraces.calls, 0)} spans (${fmt(bigTraces.raw / 1048576)} MiB) or ${fmt(bigLogs.calls, 0)} log records (${fmt(bigLogs.raw / 1048576)} MiB) each, gzip, sent one after another. Latencies in ms (p50 / **p99** / max); target: p99 < 50 ms.`,
  '',
  table(['build', 'while', '/healthz', 'small OTLP request', 'probes'], rows),
  '',
  `The processor's main thread in the same phases (lib/loop-monitor.cjs): event-loop delay in ms (p50 / p90 / **p99** / max), stalls (timer gaps over 50 ms), GC pauses, and the phase's wall time / main-thread CPU time / **main-thread run-queue wait** (runnable while other processes held the cores: machine load, not our work). Load average at the end of the phase; the probe client's own event-loop delay (p99 / max ms), which adds to every probe.${nice !== 0 ? ` Serve and this client ran at nice ${nice}.` : ''}${opts.noFsync ? ' **Diagnosis run: serve under libeatmydata, fsync a no-op (not a durable configuration).**' : ''}`,
  '',
  table(['build', 'while', 'event-loop delay', 'stalls > 50 ms', 'GC pauses', 'wall / main CPU / run-queue', 'load avg', 'client loop delay'], loopRows),
  '',
  table(
    ['build', '8 MiB requests: total / each (ms)', 'processor CPU for them', '/api/verify wall / processor CPU', 'verify'],
    results.map((r) => [r.name, `${fmt(r.bigSeconds, 1)} s / ${r.bigMs.map((m) => fmt(m, 0)).join(', ')} (status ${[...new Set(r.bigStatus)].join(',')})`, `${fmt(r.ingestCpu, 1)} s`, r.verify ? `${fmt(r.verifySeconds, 1)} s / ${fmt(r.verifyCpu, 1)} s` : 'skipped', r.verify ? String(r.verifyOk) : 'skipped']),
  ),
  '',
  table(
    ['build', "serve's warnings and errors: ingest serve (start, idle, 8 MiB)", 'verify serve'],
    results.map((r) => [r.name, r.ingestMessages, r.verifyMessages]),
  ),
].join('\n');
writeResult(opts.label, { opts, results }, md);
process.stdout.write(`${md}\n`);
