// Instrumentation overhead: every mode in fresh child processes, modes alternating within each
// round, medians over rounds and paired differences against the provider-only baseline.
// node instrumentation.bench.mjs [--rounds 5] [--calls 5000] [--warmup 2000] [--heap-calls 100000] [--label instrumentation]
// node instrumentation.bench.mjs --modes provider,mcptrail,provider-v2,mcptrail-v2 (a subset)
// node instrumentation.bench.mjs --workload bounds [--rounds 3] [--label instrumentation-bounds]
// node instrumentation.bench.mjs --workload paired [--rounds 3] [--blocks 200] [--block 100] [--warmup 4000] [--label instrumentation-paired]
//   (issue 9: SDK 1.x and 2.x, plain and instrumented, in one process per round, interleaved blocks)
//   [--separate yes] one SDK major per process instead (each round: a 1.x and a 2.x process, in alternating order)
//   (issue 14: one tools/list of a 10,000-tool server, one tools/call with a 10 MB argument)
import { fileURLToPath } from 'node:url';
import { runWorker } from './lib/child.mjs';
import { commandLine, flags, fmt, machineLine, median, table } from './lib/stats.mjs';
import { writeResult } from './lib/results.mjs';

const ALL_MODES = ['none', 'provider', 'mcptrail', 'mcptrail-lean', 'mcptrail-before', 'traceloop', 'arize', 'provider-v2', 'mcptrail-v2'];
const LABELS = {
  none: 'no tracer provider',
  provider: 'provider, no instrumentation',
  mcptrail: '@mcptrail/instrumentation-mcp (defaults)',
  'mcptrail-lean': '@mcptrail/instrumentation-mcp (lean: clientSpans false)',
  'mcptrail-before': '@mcptrail/instrumentation-mcp (defaults), build given by --before',
  traceloop: '@traceloop/instrumentation-mcp 0.27.0',
  arize: '@arizeai/openinference-instrumentation-mcp 0.2.33',
  'provider-v2': 'SDK 2.x: provider, no instrumentation',
  'mcptrail-v2': 'SDK 2.x: @mcptrail/instrumentation-mcp (defaults)',
};
/** The provider-only run each mode is compared with: the same SDK major's. */
const baselineOf = (mode) => (mode.endsWith('-v2') ? 'provider-v2' : 'provider');
const EXPORTERS = ['counting', 'memory'];
const opts = flags({ separate: '', blocks: 200, block: 100, before: '', rounds: 5, calls: 5000, warmup: 2000, concurrency: 64, heapCalls: 100_000, label: 'instrumentation', workload: 'calls', modes: 'all' });
// `--modes provider,mcptrail,provider-v2,mcptrail-v2`: a subset (each needs its provider-only baseline).
// `--before <dir of another build's package>` adds `mcptrail-before` (same-run before/after); without it the mode is skipped.
const MODES = (opts.modes === 'all' ? ALL_MODES : opts.modes.split(',').filter((m) => ALL_MODES.includes(m))).filter(
  (m) => m !== 'mcptrail-before' || opts.before,
);
const worker = fileURLToPath(new URL('./lib/instrumentation-worker.cjs', import.meta.url));
const run = (mode, exporter, extra = {}) =>
  runWorker(worker, [JSON.stringify({ mode, exporter, before: opts.before, calls: opts.calls, warmup: opts.warmup, concurrency: opts.concurrency, ...extra })], { nodeArgs: ['--expose-gc'] });

if (opts.workload === 'bounds') {
  await bounds();
  process.exit(0);
}
if (opts.workload === 'paired') {
  await pairedMajors();
  process.exit(0);
}

/**
 * What mcptrail adds per call on SDK 2.x against 1.x, measured in one process per round (lib/instrumentation-paired.cjs):
 * each block pair gives one paired observation of (2.x instrumented − 2.x plain) − (1.x instrumented − 1.x plain).
 */
async function pairedMajors() {
  const rounds = opts.rounds === 5 ? 3 : opts.rounds;
  const script = fileURLToPath(new URL('./lib/instrumentation-paired.cjs', import.meta.url));
  const args = { rounds: opts.blocks, block: opts.block, warmup: opts.warmup === 2000 ? 4000 : opts.warmup, concurrency: opts.concurrency };
  const separate = opts.separate === 'yes';
  const processes = []; // every worker's output (spans per call, drop warnings)
  const roundBlocks = []; // per round: { phase: { pair: CPU µs per block } }, a round being one process or a 1.x + 2.x pair
  for (let round = 0; round < rounds; round++) {
    const majors = !separate ? [undefined] : round % 2 ? [2, 1] : [1, 2];
    const blocks = {};
    for (const major of majors) {
      const r = await runWorker(script, [JSON.stringify({ ...args, major })], { nodeArgs: ['--expose-gc'] });
      processes.push(r);
      for (const [phase, b] of Object.entries(r.blocks)) blocks[phase] = { ...blocks[phase], ...b };
    }
    roundBlocks.push(blocks);
    process.stderr.write(`paired round ${round + 1}/${rounds} done\n`);
  }
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const ci95 = (a) => (1.96 * Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1))) / Math.sqrt(a.length);
  const rows = [];
  const summary = { opts, machine: machineLine(), command: commandLine(), phases: {} };
  const perRoundText = {};
  for (const phase of ['sequential', 'concurrent']) {
    const all = { 'v1-plain': [], 'v1-mcptrail': [], 'v2-plain': [], 'v2-mcptrail': [] };
    for (const blocks of roundBlocks) for (const [k, v] of Object.entries(blocks[phase])) all[k].push(...v);
    const added1 = all['v1-mcptrail'].map((v, i) => v - all['v1-plain'][i]);
    const added2 = all['v2-mcptrail'].map((v, i) => v - all['v2-plain'][i]);
    const diff = added2.map((v, i) => v - added1[i]);
    // Per round (a process, or a 1.x + 2.x pair of processes): the spread the block-level interval cannot show.
    const perRound = roundBlocks.map((blocks) => {
      const b = blocks[phase];
      return mean(b['v2-mcptrail']) - mean(b['v2-plain']) - (mean(b['v1-mcptrail']) - mean(b['v1-plain']));
    });
    perRoundText[phase] = perRound.map((v) => fmt(v)).join(', ');
    summary.phases[phase] = { perRound, means: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, mean(v)])), added1: mean(added1), added2: mean(added2), diff: mean(diff), ci95: ci95(diff), blocks: diff.length };
    const label = phase === 'sequential' ? 'sequential' : `${opts.concurrency}-way`;
    const verdict = mean(diff) + ci95(diff) <= 0 ? 'lower on 2.x' : mean(diff) - ci95(diff) > 0 ? '**higher on 2.x**' : 'no difference shown';
    rows.push([label, fmt(mean(all['v1-plain'])), fmt(mean(all['v1-mcptrail'])), fmt(mean(all['v2-plain'])), fmt(mean(all['v2-mcptrail'])), fmt(mean(added1)), fmt(mean(added2)), `${fmt(mean(diff))} ± ${fmt(ci95(diff))}`, verdict]);
  }
  summary.spansPerInstrumentedCall = processes.map((r) => r.spansPerInstrumentedCall);
  summary.dropWarnings = processes.reduce((n, r) => n + r.dropWarnings, 0);
  const where = separate ? 'one SDK major per process' : 'in one process';
  const lines = [`### Instrumentation: added cost per call on SDK 2.x against 1.x, ${where}`, '', `\`${summary.command}\` — ${summary.machine}`, ''];
  lines.push(
    `(${separate ? `${rounds} rounds of a 1.x and a 2.x process (alternating order), each` : `${rounds} processes ×`} ${args.rounds} rounds of one ${args.block}-call block per pair, pairs interleaved in rotating order after ${args.warmup} warm-up calls each; CPU µs per call, means over blocks; counting exporter; 1.x = @modelcontextprotocol/sdk, 2.x = @modelcontextprotocol/server + client; "plain" = a never-patched copy of the same package in the same process; difference = mean over blocks of (2.x added − 1.x added), block i of the 2.x run against block i of the 1.x run, ± its 95 % interval)`,
    '',
  );
  lines.push(table(['phase', '1.x plain', '1.x mcptrail', '2.x plain', '2.x mcptrail', '1.x added', '2.x added', '2.x − 1.x added', 'verdict'], rows), '');
  lines.push(`2.x − 1.x added per round: sequential ${perRoundText.sequential}; ${opts.concurrency}-way ${perRoundText.concurrent}.`, '');
  lines.push(`Spans per instrumented call: ${summary.spansPerInstrumentedCall.map((v) => fmt(v, 2)).join(', ')}; queue drop warnings: ${summary.dropWarnings}.`, '');
  const markdown = lines.join('\n');
  writeResult(opts.label === 'instrumentation' ? 'instrumentation-paired' : opts.label, summary, markdown);
  process.stdout.write(`${markdown}\n`);
}

/** Bounded work per call (issue 14): CPU ms of one large request, instrumented against provider-only, same rounds. */
async function bounds() {
  const workloads = [
    { name: 'tools/list of a 10,000-tool server', target: '≤ 2× provider-only', extra: { tools: 10_000, op: 'list', calls: 10, warmup: 3, concurrency: 1 } },
    { name: 'tools/call with a 10 MB argument', target: '≤ 20 ms added', extra: { argBytes: 10 * 1024 * 1024, calls: 10, warmup: 2, concurrency: 1 } },
  ];
  const rounds = opts.rounds === 5 ? 3 : opts.rounds;
  const rows = [];
  const summary = { opts, machine: machineLine(), command: commandLine(), workloads: {} };
  for (const w of workloads) {
    const per = { provider: [], mcptrail: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 ? ['mcptrail', 'provider'] : ['provider', 'mcptrail']) {
        const r = await run(mode, 'counting', w.extra);
        per[mode].push(r.sequential.usPerCall / 1000);
        process.stderr.write(`${w.name} round ${round + 1}/${rounds} ${mode}: ${fmt(r.sequential.usPerCall / 1000)} ms CPU\n`);
      }
    }
    const base = median(per.provider);
    const inst = median(per.mcptrail);
    const added = median(per.mcptrail.map((v, i) => v - per.provider[i]));
    summary.workloads[w.name] = { provider: per.provider, mcptrail: per.mcptrail };
    rows.push([w.name, fmt(base), fmt(inst), `${fmt(added)} (×${fmt(inst / base, 2)})`, w.target]);
  }
  const lines = ['### Instrumentation: bounded work per large request', '', `\`${summary.command}\` — ${summary.machine}`, ''];
  lines.push(`(median of ${rounds} rounds; CPU ms per request, sequential, counting exporter; SDK 1.x)`, '');
  lines.push(table(['request', 'provider-only ms', 'mcptrail ms', 'added ms (× provider)', 'target'], rows), '');
  const markdown = lines.join('\n');
  writeResult(opts.label === 'instrumentation' ? 'instrumentation-bounds' : opts.label, summary, markdown);
  process.stdout.write(`${markdown}\n`);
}

const runs = []; // { round, mode, exporter, result }
for (let round = 0; round < opts.rounds; round++) {
  // Rotate the order every round so no mode always runs first (or right after a heavy one).
  const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
  for (const exporter of EXPORTERS) {
    for (const mode of order) {
      const result = await run(mode, exporter);
      runs.push({ round, mode, exporter, result });
      process.stderr.write(`round ${round + 1}/${opts.rounds} ${exporter} ${mode}: seq ${fmt(result.sequential.usPerCall)} µs, conc ${fmt(result.concurrent.usPerCall)} µs\n`);
    }
  }
}

const heap = {};
if (opts.heapCalls > 0) {
  for (const mode of MODES) {
    heap[mode] = (await run(mode, 'counting', { heapCalls: opts.heapCalls, calls: 1000 })).heap;
    process.stderr.write(`heap ${mode}: ${fmt(heap[mode].growthKiB)} KiB over ${opts.heapCalls} calls\n`);
  }
}

const pick = (mode, exporter, phase, field) => runs.filter((r) => r.mode === mode && r.exporter === exporter).map((r) => r.result[phase][field]);
/** Median over rounds of f(mode, provider) measured in the same round. */
const paired = (mode, exporter, phase, f) => {
  const values = [];
  for (let round = 0; round < opts.rounds; round++) {
    const a = runs.find((r) => r.round === round && r.mode === mode && r.exporter === exporter);
    const b = runs.find((r) => r.round === round && r.mode === baselineOf(mode) && r.exporter === exporter);
    values.push(f(a.result[phase].usPerCall, b.result[phase].usPerCall));
  }
  return median(values);
};
const pairedAdded = (mode, exporter, phase) => paired(mode, exporter, phase, (a, b) => a - b);
const pairedRatio = (mode, exporter, phase) => paired(mode, exporter, phase, (a, b) => a / b);

const summary = { opts, machine: machineLine(), command: commandLine(), modes: {} };
const lines = [`### Instrumentation overhead`, '', `\`${summary.command}\` — ${summary.machine}`, ''];
for (const exporter of EXPORTERS) {
  const rows = [];
  for (const mode of MODES) {
    const seq = median(pick(mode, exporter, 'sequential', 'usPerCall'));
    const conc = median(pick(mode, exporter, 'concurrent', 'usPerCall'));
    const addedSeq = pairedAdded(mode, exporter, 'sequential');
    const addedConc = pairedAdded(mode, exporter, 'concurrent');
    const ratioSeq = pairedRatio(mode, exporter, 'sequential');
    const ratioConc = pairedRatio(mode, exporter, 'concurrent');
    const allocSeq = median(pick(mode, exporter, 'sequential', 'allocatedKiBPerCall'));
    const allocConc = median(pick(mode, exporter, 'concurrent', 'allocatedKiBPerCall'));
    const spans = median(pick(mode, exporter, 'sequential', 'spansPerCall'));
    const logsPerCall = median(pick(mode, exporter, 'sequential', 'logsPerCall'));
    summary.modes[`${mode}/${exporter}`] = { seq, conc, addedSeq, addedConc, ratioSeq, ratioConc, allocSeq, allocConc, spans, logs: logsPerCall };
    rows.push([
      LABELS[mode],
      fmt(seq),
      mode === baselineOf(mode) ? '—' : `${fmt(addedSeq)} (×${fmt(ratioSeq, 2)})`,
      fmt(conc),
      mode === baselineOf(mode) ? '—' : `${fmt(addedConc)} (×${fmt(ratioConc, 2)})`,
      `${fmt(allocSeq)} / ${fmt(allocConc)}`,
      fmt(spans, 2),
      fmt(logsPerCall, 2),
      exporter === 'counting' && heap[mode] ? fmt(heap[mode].growthKiB, 0) : '',
    ]);
  }
  lines.push(`**${exporter} exporter** (median of ${opts.rounds} rounds × ${opts.calls} calls per phase; CPU µs; "added" and "×" = medians of same-round differences and ratios against the provider-only baseline of the same SDK major)`, '');
  lines.push(table(['mode', 'seq µs/call', 'seq added µs (× provider)', `${opts.concurrency}-way µs/call`, `${opts.concurrency}-way added µs (× provider)`, 'allocated KiB/call seq / 64-way', 'spans/call', 'log records/call', exporter === 'counting' ? `heap growth KiB / ${opts.heapCalls} calls` : ''], rows), '');
}
// Issue 15's targets, from the same run's medians.
if (MODES.includes('mcptrail') && MODES.includes('traceloop')) {
  const rows = [];
  for (const exporter of EXPORTERS) {
    const m = (mode) => summary.modes[`${mode}/${exporter}`];
    const check = (name, value, limit, unit) => rows.push([exporter, name, `${fmt(value)} ${unit}`, `${fmt(limit)} ${unit}`, value <= limit ? 'met' : '**not met**']);
    for (const phase of ['Seq', 'Conc']) {
      const label = phase === 'Seq' ? 'sequential' : `${opts.concurrency}-way`;
      check(`defaults added ≤ 2× Traceloop's (${label})`, m('mcptrail')[`added${phase}`], 2 * m('traceloop')[`added${phase}`], 'µs');
      if (MODES.includes('mcptrail-lean')) check(`lean added ≤ Traceloop's (${label})`, m('mcptrail-lean')[`added${phase}`], m('traceloop')[`added${phase}`], 'µs');
      if (MODES.includes('mcptrail-before')) check(`defaults added ≤ the --before build's (${label})`, m('mcptrail')[`added${phase}`], m('mcptrail-before')[`added${phase}`], 'µs');
      check(`defaults allocation ≤ 1.5× provider-only (${label})`, m('mcptrail')[`alloc${phase}`], 1.5 * m('provider')[`alloc${phase}`], 'KiB/call');
    }
  }
  lines.push('**Targets (issue 15)**', '', table(['exporter', 'target', 'measured', 'limit', 'status'], rows), '');
}
const sample = Object.fromEntries(MODES.map((mode) => [mode, runs.find((r) => r.mode === mode && r.exporter === 'memory')?.result.sample]));
const kinds = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
lines.push('**What each mode emits for one `tools/call`** (in-memory exporter)', '');
lines.push(
  table(
    ['mode', 'spans (name, kind, attribute count, has parent)', 'log records (event, attribute count)'],
    MODES.map((mode) => [
      LABELS[mode],
      (sample[mode]?.spans ?? []).map((s) => `\`${s.name}\` ${kinds[s.kind]} ${s.attributes} attrs${s.hasParent ? ', child' : ''}`).join('; ') || 'none',
      (sample[mode]?.logs ?? []).map((l) => `\`${l.event}\` ${l.attributes} attrs`).join('; ') || 'none',
    ]),
  ),
  '',
);
summary.heap = heap;
summary.runs = runs.map(({ round, mode, exporter, result }) => ({ round, mode, exporter, sequential: result.sequential, concurrent: result.concurrent }));
summary.sample = sample;
summary.dropWarnings = runs.reduce((n, r) => n + r.result.dropWarnings, 0);
lines.push(`Queue drop warnings across all runs: ${summary.dropWarnings}.`, '');
const markdown = lines.join('\n');
writeResult(opts.label, summary, markdown);
process.stdout.write(`${markdown}\n`);
