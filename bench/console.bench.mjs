#!/usr/bin/env node
// Console API latency on a large trail: the console's routes over an existing SQLite trail (made
// by `node ingest.bench.mjs --calls 1000000 --keep 1`, which prints the folder it kept), then
// sequential GETs of the console's JSON endpoints as the page makes them:
//   overview  /console/api/overview over a range holding the whole trail (every record in range,
//             GROUP BY in SQLite), plus the default last-24h view
//   timeline  /console/api/timeline?chain&seq of random records (an alert's evidence link:
//             one record look-up, then its session in time order)
//   timeline  /console/api/timeline?session=… of the same sessions
// Reports wall latency p50/p95/max per endpoint and CPU time per request. Builds with the rollup
// (store.rollup(), src/store/rollup-sql.ts) first catch it up over the whole trail, measured apart
// (what the first start over an existing trail costs, in background steps).
//   node console.bench.mjs --db /tmp/mcptrail-bench-XXXX/trail.db [--runs 40] [--warmup 3] [--label sqlite-1m]
//     [--dist ../packages/processor/dist]   (another build's dist, for a before/after on the same trail)
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResult } from './lib/results.mjs';
import { commandLine, flags, fmt, machine, machineLine, quantile, table } from './lib/stats.mjs';

const opts = flags({ db: '', runs: 40, warmup: 3, label: 'sqlite-1m', dist: '', pg: 0, pgDir: '', pgKeep: 0 });
if (!opts.db || !existsSync(opts.db)) {
  throw new Error('--db must name an existing SQLite trail (make one with: node ingest.bench.mjs --calls 1000000 --keep 1)');
}
// --pg 1: the same records copied into a private PostgreSQL cluster (bench/lib/pg-trail.mjs), served from there;
// --pg-keep 1 leaves the cluster's folder (printed) and --pg-dir DIR starts that one again instead of copying.
const log = (s) => process.stderr.write(`${s}\n`);

// The console's handler and the store as the processor composes them (src/service.ts), on a
// loopback HTTP server in this process, with the rules' detector over the same file: only the
// console's routes are measured, not ingest, sealing or detection ticks.
const dist = (p) => (opts.dist ? path.resolve(opts.dist, p) : fileURLToPath(new URL(`../packages/processor/dist/${p}`, import.meta.url)));
const require = createRequire(import.meta.url);
const { openSqliteStore } = require(dist('store/sqlite.js'));
const { createConsoleHandler, createAlertStateBook } = require(dist('console/index.js'));
const { createApiHandler } = require(dist('api/routes.js'));
const { createDetector } = require(dist('detect/engine.js'));
const { loadRules } = require(dist('detect/load-rules.js'));
const { createLogger } = require(dist('logger.js'));
let cluster = null;
let store;
let stateDb;
if (opts.pg) {
  const { startCluster, copyTrail } = await import('./lib/pg-trail.mjs');
  cluster = await startCluster(opts.pgDir || undefined);
  log(`postgres: cluster in ${cluster.dir}`);
  if (!opts.pgDir) {
    const c0 = performance.now();
    const copied = await copyTrail(path.dirname(dist('index.js')), opts.db, cluster.url, log);
    log(`postgres: ${copied.toLocaleString('en-US')} records copied in ${fmt(performance.now() - c0)} ms`);
  }
  store = await require(dist('store/postgres.js')).openPostgresStore({ url: cluster.url });
  // Detection state stays in SQLite beside a PostgreSQL trail (as `serve --state-dir`).
  const Database = createRequire(dist('index.js'))('better-sqlite3');
  stateDb = new Database(path.join(cluster.dir, 'state.db'));
} else {
  store = openSqliteStore({ path: opts.db });
  stateDb = store.db;
}
const logger = createLogger({ level: 'error', redactor: null });
const detector = createDetector({ rules: loadRules(null), db: stateDb, logger });
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// The rollup's catch-up over the whole trail (a first start on an existing trail), in its own bounded
// steps, before the console's handler (which would step it too) exists.
let catchUp = null;
if (typeof store.rollup === 'function') {
  // How long this thread (the one that acknowledges OTLP in `mcptrail serve`) stalls meanwhile.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const c0 = cpuMs();
  const db0 = cluster ? cluster.cpuMs() : 0;
  const t0 = performance.now();
  let steps = 0;
  let maxStepMs = 0;
  let rolled = 0;
  for (;;) {
    const s0 = performance.now();
    const r = await store.rollup().step();
    maxStepMs = Math.max(maxStepMs, performance.now() - s0);
    steps++;
    rolled += r.rolled;
    if (r.behind === 0) break;
  }
  loop.disable();
  catchUp = { records: rolled, steps, wallMs: performance.now() - t0, cpuMs: cpuMs() - c0, dbCpuMs: cluster ? cluster.cpuMs() - db0 : null, maxStepMs, loopDelayMaxMs: loop.max / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6 };
  log(`rollup catch-up: ${rolled} records in ${steps} steps, ${fmt(catchUp.wallMs)} ms wall, ${fmt(catchUp.cpuMs)} ms CPU (process), longest step ${fmt(maxStepMs)} ms, event loop delay p99 ${fmt(catchUp.loopDelayP99Ms)} / max ${fmt(catchUp.loopDelayMaxMs)} ms`);
}

const consoleRoutes = createConsoleHandler({ store, detector, alertStates: createAlertStateBook(stateDb), verify: async () => ({ ok: true, records: 0, chains: [] }), logger });
const api = createApiHandler({ store, detector, verify: async () => ({ ok: true }), authorize: null, logger });
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://bench.invalid');
  consoleRoutes(req, res, url)
    .then((done) => done || api(req, res, url))
    .then((done) => {
      if (!done) res.writeHead(404).end();
    });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

async function get(path) {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text), bytes: text.length };
}

try {
  const [first] = (await get('/api/audit?order=asc&limit=1')).body.records;
  const [last] = (await get('/api/audit?order=desc&limit=1')).body.records;
  const total = (await get('/console/api/integrity')).body.chains.reduce((n, c) => n + c.records, 0);
  // Records are in chain order, not time order (a sender's clock may lag): a week before the
  // first covers them all and keeps hour buckets.
  const since = new Date(Date.parse(first.time) - 7 * 86_400_000).toISOString();
  const until = new Date(Date.parse(last.time) + 60_000).toISOString();
  log(`trail: ${total.toLocaleString('en-US')} records, ${first.time} → ${last.time}`);

  // Random records of the chain, fetched once; each run opens one of them.
  const refs = [];
  for (let i = 0; i < opts.runs + opts.warmup; i++) {
    const seq = 1 + Math.floor(Math.random() * (last.seq - 1));
    const [r] = (await get(`/api/audit?chain=${last.chain_id}&after_seq=${seq - 1}&limit=1&order=asc`)).body.records;
    refs.push(r);
  }

  const topActor = (await get(`/console/api/overview?since=${since}&until=${until}`)).body.top_actors[0]?.name ?? 'none';
  const cases = [
    ['overview, whole trail in range', () => `/console/api/overview?since=${since}&until=${until}`, (b) => b.totals.calls],
    ['overview, default (last 24h)', () => '/console/api/overview', (b) => b.totals.calls],
    ['overview, the busiest actor', () => `/console/api/overview?since=${since}&until=${until}&actor=${encodeURIComponent(topActor)}`, (b) => b.totals.calls],
    ['timeline from an evidence link (chain+seq)', (i) => `/console/api/timeline?chain=${refs[i].chain_id}&seq=${refs[i].seq}`, (b) => b.count],
    ['timeline of a session', (i) => `/console/api/timeline?session=${encodeURIComponent(refs[i].session_id)}&service=${encodeURIComponent(refs[i].service)}`, (b) => b.count],
  ];
  const rows = [];
  const data = { machine: machine(), command: commandLine(), records: total, range: { since, until }, catchUp, loadavg: null, cases: [] };
  for (const [name, path, size] of cases) {
    const lat = [];
    const sizes = [];
    let bytes = 0;
    for (let i = 0; i < opts.warmup; i++) await get(path(i));
    const cpu0 = cpuMs();
    const db0 = cluster ? cluster.cpuMs() : 0;
    for (let i = 0; i < opts.runs; i++) {
      const r = await get(path(opts.warmup + i));
      lat.push(r.ms);
      sizes.push(size(r.body));
      bytes += r.bytes;
    }
    const cpuPer = (cpuMs() - cpu0) / opts.runs;
    const dbCpuPer = cluster ? (cluster.cpuMs() - db0) / opts.runs : null;
    const c = { name, runs: opts.runs, p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), max: Math.max(...lat), cpuMsPerRequest: cpuPer, dbCpuMsPerRequest: dbCpuPer, medianSize: quantile(sizes, 0.5), meanBytes: bytes / opts.runs };
    data.cases.push(c);
    rows.push([name, fmt(c.medianSize, 0), `${fmt(c.p50)} / **${fmt(c.p95)}** / ${fmt(c.max)}`, cluster ? `${fmt(c.cpuMsPerRequest)} + ${fmt(dbCpuPer)} (PostgreSQL)` : fmt(c.cpuMsPerRequest), fmt(c.meanBytes / 1024, 1)]);
    log(`${name}: p50 ${fmt(c.p50)} ms, p95 ${fmt(c.p95)} ms, CPU ${fmt(cpuPer)} ms/request${cluster ? ` + PostgreSQL ${fmt(dbCpuPer)} ms` : ''}`);
  }
  data.rssMiB = process.memoryUsage().rss / 2 ** 20;
  data.loadavg = (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2)));
  const md = [
    `### Console API latency (${opts.label})`,
    '',
    `\`${data.command}\` — ${machineLine(data.machine)}`,
    '',
    `${opts.pg ? 'PostgreSQL' : 'SQLite'} trail of ${total.toLocaleString('en-US')} records (${opts.pg ? 'copied from the SQLite trail of `bench/lib/make-trail.mjs` into a private PostgreSQL 15 cluster by `bench/lib/pg-trail.mjs`' : '`bench/lib/make-trail.mjs`: 1M records, one a second over 12 days, 3,000 actors'}), served by the console's handler over the processor's ${opts.pg ? 'PostgreSQL' : 'SQLite'} store and built-in rules' detector (\`src/console\`, as \`mcptrail serve\` composes them) on a loopback HTTP server; CPU is this process's (handler + client) per request; ${opts.runs} sequential requests per row after ${opts.warmup} warm-up requests; "calls/records" is the median number of tool calls counted (overview) or records returned (timeline, one page of at most 200).`,
    '',
    table(['endpoint', 'calls / records', 'latency p50 / p95 / max, ms', 'CPU ms per request', 'response KiB'], rows),
    '',
    `RSS of the bench process (store, detector, handler and client) after the runs: ${fmt(data.rssMiB, 0)} MiB. Load average at the end: ${data.loadavg.join(' / ')} (1/5/15 min, 2 cores shared with other sessions).`,
    ...(catchUp
      ? ['', `Rollup catch-up before the runs (what a first start over this trail does in the background): ${catchUp.records.toLocaleString('en-US')} records in ${catchUp.steps} steps of at most 2,000 (${cluster ? 'in PostgreSQL' : "in the rollup's worker thread"}), ${fmt(catchUp.wallMs)} ms wall, ${fmt(catchUp.cpuMs)} ms CPU (whole process)${catchUp.dbCpuMs !== null ? ` + ${fmt(catchUp.dbCpuMs)} ms PostgreSQL` : ''}; longest step ${fmt(catchUp.maxStepMs)} ms; this thread's event-loop delay meanwhile p99 ${fmt(catchUp.loopDelayP99Ms)} ms, max ${fmt(catchUp.loopDelayMaxMs)} ms.`]
      : ['', 'This build has no rollup: every count reads the records.']),
  ].join('\n');
  writeResult(`console-${opts.label}`, data, md);
  process.stdout.write(`${md}\n`);
} finally {
  consoleRoutes.close?.();
  server.close();
  await store.close();
  if (cluster) {
    cluster.stop();
    if (!opts.pgKeep) rmSync(cluster.dir, { recursive: true, force: true });
  }
}
