// Latency under load: how long `/healthz` and a small OTLP request (one span) take while the
// processor chews on 8 MiB OTLP requests, and while `/api/verify` hashes a 1M-record trail.
// A probe client sends one of each every --probe-ms on its own connections; the loaders run
// beside it. Each phase runs against `mcptrail serve` from --cli (default: this checkout's
// build) and, with --before-cli, against another build in the same run (side by side).
// node latency.bench.mjs [--records 1000000] [--big 6] [--probe-ms 100] [--idle-s 3]
//   [--before-cli /path/to/old/packages/processor/dist/cli/main.js] [--label name] [--trail-dir /tmp]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
const opts = flags({ records: 1_000_000, big: 6, probeMs: 100, idleS: 3, beforeCli: '', label: 'latency', trailDir: tmpdir(), maxBodyMib: 8 });
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

async function startServe(cli, db, home) {
  // The trail's own key (make-trail's), and a private HOME: newer builds keep witness files and keys under ~/.mcptrail.
  const child = spawn(process.execPath, [cli, 'serve', '--db', db, '--signing-key', `${db}.ed25519.pem`, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: home } });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"url":"(http:[^"]+)"/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.slice(-2000)}`)));
  });
  return { child, url };
}

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

async function runVariant(name, cli) {
  const dist = path.resolve(path.dirname(cli), '..');
  const result = { name, cli };
  const work = mkdtempSync(path.join(tmpdir(), `mcptrail-latency-${name}-`));
  try {
    // Phase A: idle, then big OTLP requests back to back (traces and logs alternating).
    const a = await startServe(cli, path.join(work, 'ingest.db'), work);
    const cpu0 = cpuSeconds(a.child.pid);
    let p = probe(a.url);
    await sleep(opts.idleS * 1000);
    result.idle = await p.stop();
    const loader = new Agent({ keepAlive: true, maxSockets: 1 });
    p = probe(a.url);
    const t0 = performance.now();
    const bigs = [];
    for (let i = 0; i < opts.big; i++) bigs.push(await post(loader, a.url, i % 2 ? '/v1/logs' : '/v1/traces', i % 2 ? bigLogs.body : bigTraces.body));
    result.bigSeconds = (performance.now() - t0) / 1000;
    result.big = await p.stop();
    result.bigStatus = bigs.map((b) => b.status);
    result.bigMs = bigs.map((b) => b.ms);
    result.ingestCpu = cpuSeconds(a.child.pid) - cpu0;
    loader.destroy();
    a.child.kill('SIGTERM');
    await new Promise((r) => a.child.once('exit', r));

    // Phase B: verify a 1M-record trail (made with this build) through the API.
    const trail = await makeTrail(dist, path.join(opts.trailDir, `mcptrail-latency-${name}-${opts.records}.db`), opts.records, log);
    const b = await startServe(cli, trail.file, work);
    await sleep(500);
    p = probe(b.url);
    await sleep(1000);
    const cpu1 = cpuSeconds(b.child.pid);
    const v = await get(new Agent(), b.url, '/api/verify');
    result.verifyCpu = cpuSeconds(b.child.pid) - cpu1;
    result.verify = await p.stop();
    result.verifySeconds = v.ms / 1000;
    result.verifyOk = v.status === 200 ? JSON.parse(v.text).ok : `HTTP ${v.status}: ${v.text.slice(0, 200)}`;
    result.verifyRecords = v.status === 200 ? JSON.parse(v.text).records : null;
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
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
for (const r of results) {
  for (const [phase, data] of [['idle', r.idle], [`${opts.big} × 8 MiB OTLP requests`, r.big], [`/api/verify, ${fmt(r.verifyRecords ?? opts.records, 0)} records`, r.verify]]) {
    const h = summary(data.healthz);
    const o = summary(data.otlp);
    rows.push([r.name, phase, `${fmt(h.p50)} / **${fmt(h.p99)}** / ${fmt(h.max)}`, `${fmt(o.p50)} / **${fmt(o.p99)}** / ${fmt(o.max)}`, `${h.n + o.n}${data.failed ? ` (${data.failed} failed: ${Object.entries(data.statuses).map(([k, v]) => `${v}× ${k === '0' ? 'timeout/reset' : `HTTP ${k}`}`).join(', ')})` : ''}${data.skipped ? ` (${data.skipped} rounds skipped: 2,000 in flight)` : ''}`]);
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
  table(
    ['build', '8 MiB requests: total / each (ms)', 'processor CPU for them', '/api/verify wall / processor CPU', 'verify'],
    results.map((r) => [r.name, `${fmt(r.bigSeconds, 1)} s / ${r.bigMs.map((m) => fmt(m, 0)).join(', ')} (status ${[...new Set(r.bigStatus)].join(',')})`, `${fmt(r.ingestCpu, 1)} s`, `${fmt(r.verifySeconds, 1)} s / ${fmt(r.verifyCpu, 1)} s`, String(r.verifyOk)]),
  ),
].join('\n');
writeResult(opts.label, { opts, results }, md);
process.stdout.write(`${md}\n`);
