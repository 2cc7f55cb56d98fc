#!/usr/bin/env node
// Console API latency on a large trail: `mcptrail serve` over an existing SQLite trail (made by
// `node ingest.bench.mjs --calls 1000000 --keep 1`, which prints the folder it kept), then
// sequential GETs of the console's JSON endpoints as the page makes them:
//   overview  /console/api/overview over a range holding the whole trail (every record in range,
//             GROUP BY in SQLite), plus the default last-24h view
//   timeline  /console/api/timeline?chain&seq of random records (an alert's evidence link:
//             one record look-up, then its session in time order)
//   timeline  /console/api/timeline?session=… of the same sessions
// Reports wall latency p50/p95/max per endpoint and the processor's CPU time per request.
//   node console.bench.mjs --db /tmp/mcptrail-bench-XXXX/trail.db [--runs 40] [--warmup 3] [--label sqlite-1m]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, memoryMiB } from './lib/proc.mjs';
import { writeResult } from './lib/results.mjs';
import { commandLine, flags, fmt, machine, machineLine, quantile, table } from './lib/stats.mjs';

const opts = flags({ db: '', runs: 40, warmup: 3, label: 'sqlite-1m' });
if (!opts.db || !existsSync(opts.db)) {
  throw new Error('--db must name an existing SQLite trail (make one with: node ingest.bench.mjs --calls 1000000 --keep 1)');
}
const cli = fileURLToPath(new URL('../packages/processor/dist/cli/main.js', import.meta.url));
const log = (s) => process.stderr.write(`${s}\n`);

const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--db', opts.db, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
const base = await new Promise((resolve, reject) => {
  child.stderr.on('data', (c) => {
    stderr += c;
    const m = /"msg":"listening","url":"([^"]+)"/.exec(stderr);
    if (m) resolve(m[1].replace(/\/$/, ''));
  });
  child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr.slice(-2000)}`)));
});

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
  log(`trail: ${total.toLocaleString('en-US')} records, ${first.time} → ${last.time}; processor pid ${child.pid}`);

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
  const data = { machine: machine(), command: commandLine(), records: total, range: { since, until }, cases: [] };
  for (const [name, path, size] of cases) {
    const lat = [];
    const sizes = [];
    let bytes = 0;
    for (let i = 0; i < opts.warmup; i++) await get(path(i));
    const cpu0 = cpuSeconds(child.pid);
    for (let i = 0; i < opts.runs; i++) {
      const r = await get(path(opts.warmup + i));
      lat.push(r.ms);
      sizes.push(size(r.body));
      bytes += r.bytes;
    }
    const cpuMs = ((cpuSeconds(child.pid) - cpu0) * 1000) / opts.runs;
    const c = { name, runs: opts.runs, p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), max: Math.max(...lat), cpuMsPerRequest: cpuMs, medianSize: quantile(sizes, 0.5), meanBytes: bytes / opts.runs };
    data.cases.push(c);
    rows.push([name, fmt(c.medianSize, 0), `${fmt(c.p50)} / **${fmt(c.p95)}** / ${fmt(c.max)}`, fmt(c.cpuMsPerRequest), fmt(c.meanBytes / 1024, 1)]);
    log(`${name}: p50 ${fmt(c.p50)} ms, p95 ${fmt(c.p95)} ms, CPU ${fmt(cpuMs)} ms/request`);
  }
  data.rssMiB = memoryMiB(child.pid);
  const md = [
    `### Console API latency (${opts.label})`,
    '',
    `\`${data.command}\` — ${machineLine(data.machine)}`,
    '',
    `SQLite trail of ${total.toLocaleString('en-US')} records (\`node ingest.bench.mjs --calls 1000000 --keep 1\`), served by \`mcptrail serve\`; ${opts.runs} sequential requests per row after ${opts.warmup} warm-up requests; "calls/records" is the median number of tool calls counted (overview) or records returned (timeline, one page of at most 200).`,
    '',
    table(['endpoint', 'calls / records', 'latency p50 / p95 / max, ms', 'processor CPU ms per request', 'response KiB'], rows),
    '',
    `Processor RSS after the runs: ${fmt(data.rssMiB.rss, 0)} MiB (peak ${fmt(data.rssMiB.peak, 0)}).`,
  ].join('\n');
  writeResult(`console-${opts.label}`, data, md);
  process.stdout.write(`${md}\n`);
} finally {
  child.kill('SIGTERM');
}
