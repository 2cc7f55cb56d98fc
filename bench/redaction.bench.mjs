// Redaction cost: per call on typical tool arguments, throughput on a mixed corpus, and the
// worst case on adversarial inputs. In-process, medians of repeated timed runs.
// node --expose-gc redaction.bench.mjs [--runs 7] [--min-ms 300] [--adversarial-runs 3] [--label redaction]
import { createRequire } from 'node:module';
import os from 'node:os';
import { args10k, args1k, args200, adversarialStrings, adversarialStructures, mixedCorpus } from './lib/redaction-inputs.mjs';
import { loadGeneratedCorpus } from './lib/redaction-corpus.mjs';
import { writeResult } from './lib/results.mjs';
import { commandLine, flags, fmt, machineLine, median, table } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const { createRedactor } = require('@mcptrail/redact');
const { canonicalJson } = require('@mcptrail/conventions');

const opts = flags({ runs: 7, minMs: 300, adversarialRuns: 3, label: 'redaction' });
const redactor = createRedactor({ hmacKey: 'bench-hmac-key-0123456789abcdef' });
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs
// CPU time of this process (user + system): a loaded shared machine inflates wall time, much less CPU time.
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU µs per call: each run repeats `fn` until `minMs` of CPU time has passed; the median over runs. */
function perCall(fn) {
  for (let i = 0; i < 200; i++) fn(); // warm-up (JIT)
  const runs = [];
  for (let r = 0; r < opts.runs; r++) {
    let n = 0;
    const start = cpuNow();
    let elapsed = 0;
    while (elapsed < opts.minMs * 1000) {
      for (let i = 0; i < 50; i++) fn();
      n += 50;
      elapsed = cpuNow() - start;
    }
    runs.push(elapsed / n);
  }
  return median(runs);
}

const jsonBytes = (v) => Buffer.byteLength(JSON.stringify(v));
const summary = { opts, machine: machineLine(), command: commandLine(), load: os.loadavg().map((x) => Number(x.toFixed(1))), typical: {}, adversarial: {} };
const lines = ['### Redaction', '', `\`${summary.command}\` — ${summary.machine} · load average at start ${summary.load.join(' / ')}`, ''];

// 1. Typical arguments.
const typicalRows = [];
for (const [label, make] of [['0.2 KB', args200], ['1 KB', args1k], ['10 KB', args10k]]) {
  const value = make();
  const bytes = jsonBytes(value);
  const result = redactor.redact(value);
  const redactUs = perCall(() => redactor.redact(value));
  // What the instrumentation does per tool call with default options: redacted JSON for the
  // audit record plus the keyed hash and size of the canonical arguments.
  const pathUs = perCall(() => {
    JSON.stringify(redactor.redact(value).value);
    const c = canonicalJson(value);
    redactor.keyedHash(c);
  });
  // A yardstick measured in the same run: JSON.stringify of the same object. The machine is shared,
  // so absolute CPU times move with its load; the ratio to this native walk moves much less.
  const stringifyUs = perCall(() => JSON.stringify(value));
  summary.typical[label] = { bytes, redactUs, pathUs, stringifyUs, count: result.count, types: result.types };
  typicalRows.push([label, fmt(bytes, 0), `${result.count} (${result.types.join(', ')})`, fmt(redactUs, 2), fmt(redactUs / (bytes / 1024), 2), `${fmt(stringifyUs, 2)} (${fmt(redactUs / stringifyUs, 1)}×)`, fmt(pathUs, 2)]);
}
lines.push(`**Per call** (CPU time, median of ${opts.runs} runs of ≥ ${opts.minMs} ms each)`, '');
lines.push(table(['arguments', 'JSON bytes', 'values redacted (types)', '`redact()` CPU µs/call', 'µs per KB', '`JSON.stringify` CPU µs, same run (redact ÷ it)', 'instrumentation path CPU µs (redact + stringify + canonical JSON + HMAC)'], typicalRows), '');

// 2. Mixed corpus throughput.
const corpus = mixedCorpus();
const corpusBytes = corpus.reduce((n, v) => n + jsonBytes(v), 0);
const corpusUs = perCall(() => {
  for (const v of corpus) redactor.redact(v);
});
summary.corpus = { items: corpus.length, bytes: corpusBytes, mbPerS: corpusBytes / 2 ** 20 / (corpusUs / 1e6) };
lines.push(`**Mixed corpus**: ${corpus.length} argument objects, ${fmt(corpusBytes / 1024, 0)} KB of JSON → **${fmt(summary.corpus.mbPerS, 1)} MB/s** (\`redact()\`, median of ${opts.runs} runs).`, '');

// 3. Adversarial inputs: worst of a few runs each (a single slow run is what an attacker gets).
// A collection first, so the garbage of building the previous input is not charged to this one.
const collect = globalThis.gc ?? (() => {});
const worst = (fn) => {
  const times = [];
  for (let r = 0; r < opts.adversarialRuns; r++) {
    collect();
    const start = now();
    const cpuStart = cpuNow();
    fn();
    // Wall time is what a caller waits; CPU time is reported beside it to show contention.
    times.push({ wall: (now() - start) / 1000, cpu: (cpuNow() - cpuStart) / 1000 });
  }
  return times.reduce((a, b) => (b.cpu > a.cpu ? b : a));
};
const advRows = [];
for (const [label, s] of Object.entries(adversarialStrings())) {
  const textMs = worst(() => redactor.redactText(s));
  const valueMs = worst(() => redactor.redact({ arg: s }));
  summary.adversarial[label] = { bytes: s.length, textMs: textMs.cpu, valueMs: valueMs.cpu, textWallMs: textMs.wall, valueWallMs: valueMs.wall };
  advRows.push([label, fmt(s.length / 1024, 0), `${fmt(textMs.cpu, 1)} (${fmt(textMs.wall, 1)})`, `${fmt(valueMs.cpu, 1)} (${fmt(valueMs.wall, 1)})`, '—']);
  process.stderr.write(`adversarial ${label}: text ${fmt(textMs.cpu, 1)} ms, value ${fmt(valueMs.cpu, 1)} ms\n`);
}
for (const [label, v] of Object.entries(adversarialStructures())) {
  const valueMs = worst(() => redactor.redact(v));
  // What V8 alone spends before a for…in over the object yields its first key (a dictionary-mode
  // object lists and sorts all its keys first): a floor no walker in JavaScript goes under.
  const enumMs = Array.isArray(v)
    ? null
    : worst(() => {
        for (const k in v) if (k !== undefined) break;
      });
  summary.adversarial[label] = { valueMs: valueMs.cpu, valueWallMs: valueMs.wall, enumerationMs: enumMs?.cpu };
  advRows.push([label, '—', '—', `${fmt(valueMs.cpu, 1)} (${fmt(valueMs.wall, 1)})`, enumMs === null ? '—' : fmt(enumMs.cpu, 1)]);
  process.stderr.write(`adversarial ${label}: value ${fmt(valueMs.cpu, 1)} ms\n`);
}
const worstMs = Math.max(...Object.values(summary.adversarial).flatMap((a) => [a.textMs ?? 0, a.valueMs ?? 0]));
summary.worstMs = worstMs;
lines.push(`**Adversarial inputs** (CPU ms of the slowest of ${opts.adversarialRuns} runs, wall ms in parentheses; \`redactText\` sees the whole string, \`redact\` cuts strings at \`maxStringLength\` 8,192 by default)`, '');
lines.push(table(['input', 'KB', '`redactText()` ms', '`redact({ arg })` ms', 'V8 key enumeration alone ms (same run)'], advRows), '');
lines.push(`Worst case over all adversarial inputs: **${fmt(worstMs, 1)} ms** CPU.`, '');

// 4. Recall on the generated corpus and false redactions on the look-alike corpus (the tests' cases).
const gen = loadGeneratedCorpus();
const corpusCases = gen.generatedCorpus();
const leaks = (c, out) => gen.leakedKinds([c], out).length > 0;
const recallRows = [];
summary.recall = {};
for (const category of ['provider', 'structural', 'pii']) {
  const cases = corpusCases.filter((c) => c.category === category);
  const inText = cases.filter((c) => !leaks(c, redactor.redactText(`note: ${c.text} (end)`).value)).length;
  const inArgs = cases.filter((c) => !leaks(c, JSON.stringify(redactor.redact({ args: { note: c.text, list: [c.text] } }).value))).length;
  summary.recall[category] = { cases: cases.length, inText, inArgs };
  recallRows.push([category, String(cases.length), `${inText} (${fmt((100 * inText) / cases.length, 1)} %)`, `${inArgs} (${fmt((100 * inArgs) / cases.length, 1)} %)`]);
}
const lookAlikes = gen.lookAlikeCorpus(25);
const byCategory = new Map();
for (const l of lookAlikes) {
  const e = byCategory.get(l.category) ?? { n: 0, changed: 0 };
  e.n++;
  if (redactor.redactText(l.text).value !== l.text) e.changed++;
  byCategory.set(l.category, e);
}
const changedTotal = [...byCategory.values()].reduce((a, e) => a + e.changed, 0);
summary.falseRedactions = { items: lookAlikes.length, changed: changedTotal, byCategory: Object.fromEntries(byCategory) };
lines.push(`**Recall** on the generated corpus (\`packages/redact/test/fixtures/generated-corpus.ts\`, seed ${gen.CORPUS_SEED}: ${corpusCases.length} kinds, values built from each format's documentation): a case counts as caught when none of its secret parts is left.`, '');
lines.push(table(['category', 'kinds', 'caught by `redactText` (in prose)', 'caught by `redact` (argument value and array item)'], recallRows), '');
const fpRows = [...byCategory].filter(([, e]) => e.changed > 0).map(([c, e]) => [c, String(e.n), String(e.changed)]);
lines.push(`**False redactions** on the look-alike corpus (${lookAlikes.length} items, ${byCategory.size} categories: UUIDs, git SHAs, content hashes, base64 images, order ids, timestamps, versions, prose, …): **${changedTotal} changed (${fmt((100 * changedTotal) / lookAlikes.length, 2)} %)**${fpRows.length > 0 ? '; categories with changes:' : '.'}`, '');
if (fpRows.length > 0) lines.push(table(['look-alike category', 'items', 'changed'], fpRows), '');

const markdown = lines.join('\n');
writeResult(opts.label, summary, markdown);
process.stdout.write(`${markdown}\n`);
