// `verify` speed: the sequential walk against worker threads over checkpoint segments
// (chain/verify-pool.ts), in one run, on one SQLite trail (made by lib/make-trail.mjs with the
// processor's own sealing, checkpoints every 1,000 records). Reports wall time, CPU time of
// every thread of this process, and the time those threads sat runnable but not running
// (run-queue wait, /proc/<pid>/task/*/schedstat): on a shared machine the gap between wall
// and CPU is the machine's load, not the verifier's. Both reports must be identical.
// node verify.bench.mjs [--records 1000000] [--threads 2] [--runs 2] [--trail-dir /tmp] [--label verify]
//   [--nice -10]  run ahead of the machine's other load (root): its worker threads inherit it
//   [--dist DIR]  the processor build to measure (default: this workspace's), for a before/after pair
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { makeTrail } from './lib/make-trail.mjs';
import { writeResult } from './lib/results.mjs';
import { commandLine, flags, fmt, machineLine, median, table } from './lib/stats.mjs';

const opts = flags({ records: 1_000_000, threads: 2, runs: 2, trailDir: os.tmpdir(), label: 'verify', nice: '0', dist: '' });
// Threads created from here on (the pool's) start at this priority too.
if (Number(opts.nice) !== 0) os.setPriority(Number(opts.nice));
const require = createRequire(import.meta.url);
const dist = opts.dist ? path.resolve(opts.dist) : require.resolve('@mcptrail/processor/package.json').replace(/package\.json$/, 'dist');
const { openSqliteStore } = require(path.join(dist, 'store/sqlite.js'));
const { verifyTrail } = require(path.join(dist, 'chain/verify.js'));
const { createVerifyPool } = require(path.join(dist, 'chain/verify-pool.js'));
const log = (m) => process.stderr.write(`${m}\n`);

/** CPU and run-queue wait (seconds) summed over this process's threads, from schedstat. */
function schedSeconds() {
  let cpu = 0;
  let wait = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, queued] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      cpu += run / 1e9;
      wait += queued / 1e9;
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { cpu, wait };
}
/** Threads that end during a run take their counters with them: count them from process-wide CPU instead. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const pressure = () => {
  try {
    return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return Number.NaN;
  }
};

const trail = await makeTrail(dist, path.join(opts.trailDir, `mcptrail-verify-${opts.records}.db`), opts.records, log);
const publicKey = readFileSync(`${trail.file}.ed25519.pub.pem`, 'utf8');
const store = openSqliteStore({ path: trail.file, readOnly: true, mapFile: true });
// A year later, uncovered-tail checks off: this measures the walk, not the clock.
const verifyOpts = { chains: ['main'], now: Date.now(), maxUncoveredMs: Number.MAX_SAFE_INTEGER };

async function measure(name, run) {
  const load = os.loadavg()[0];
  const c0 = cpuSeconds();
  const s0 = schedSeconds();
  const t0 = performance.now();
  // run() reads the threads' counters itself before its worker threads end (theirs go with them).
  const { report, sched } = await run(schedSeconds);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  const s1 = sched ?? schedSeconds();
  return { name, wall, cpu, wait: s1.wait - s0.wait, load, pressure: pressure(), ok: report.ok, records: report.records, report: JSON.stringify(report) };
}

const rows = [];
for (let r = 0; r < opts.runs; r++) {
  log(`run ${r + 1}: sequential`);
  rows.push(await measure('sequential (this thread)', async () => ({ report: await verifyTrail(store, publicKey, verifyOpts) })));
  for (const threads of [...new Set([1, opts.threads])]) {
    log(`run ${r + 1}: pool of ${threads}`);
    // The pool's start-up (threads loading the processor, opening the file) is inside the measurement.
    rows.push(
      await measure(`${threads} worker thread${threads > 1 ? 's' : ''}`, async (sample) => {
        const pool = createVerifyPool({ trail: { kind: 'sqlite', path: trail.file }, threads });
        try {
          const report = await verifyTrail(store, publicKey, { ...verifyOpts, walker: pool.walker });
          return { report, sched: sample() };
        } finally {
          await pool.close();
        }
      }),
    );
  }
}
await store.close();
const same = rows.every((x) => x.report === rows[0].report);
if (!same) throw new Error('parallel and sequential reports differ');
if (!rows[0].ok) throw new Error('the trail does not verify');

const byName = new Map();
for (const x of rows) byName.set(x.name, [...(byName.get(x.name) ?? []), x]);
const out = [...byName].map(([name, xs]) => {
  const wall = median(xs.map((x) => x.wall));
  const cpu = median(xs.map((x) => x.cpu));
  const wait = median(xs.map((x) => x.wait));
  return { name, wall, cpu, wait, load: xs.map((x) => x.load), pressure: xs.map((x) => x.pressure) };
});
const records = rows[0].records;
const md = [
  `### Verify: sequential walk vs worker threads over checkpoint segments (${opts.label})`,
  '',
  `\`${commandLine()}\` — ${machineLine()}`,
  '',
  `${fmt(records, 0)} records (≈ 1.1 KiB canonical body each, a checkpoint every 1,000), SQLite, file in the page cache. Median of ${opts.runs} run(s), each variant in the same process one after another; the reports of all ${rows.length} verifications are identical (${same}). CPU is every thread of this process; run-queue wait is the time those threads were runnable but another process had the core (schedstat): wall ≈ CPU / threads + wait / threads on a free machine.${Number(opts.nice) !== 0 ? ` This process (and its threads) ran at nice ${opts.nice}.` : ''}`,
  '',
  table(
    ['walk', 'wall', 'records/s (wall)', 'CPU (all threads)', 'records per CPU-second', 'run-queue wait', 'load avg (1 min) at start', 'CPU pressure (some, avg10)'],
    out.map((x) => [
      x.name,
      `${fmt(x.wall, 2)} s`,
      `**${fmt(records / x.wall, 0)}**`,
      `${fmt(x.cpu, 2)} s`,
      fmt(records / x.cpu, 0),
      `${fmt(x.wait, 2)} s`,
      x.load.map((l) => fmt(l, 1)).join(', '),
      x.pressure.map((p) => `${fmt(p, 0)} %`).join(', '),
    ]),
  ),
].join('\n');
writeResult(opts.label, { opts, records, rows: rows.map(({ report, ...x }) => x) }, md);
process.stdout.write(`${md}\n`);
