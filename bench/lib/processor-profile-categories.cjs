'use strict';
// Shares of the processor's .cpuprofile files by kind of work (issue 16's "what the profile says is left"):
// each sample goes to the innermost frame of a known kind. One profile per thread (`--cpu-prof` writes one
// per isolate); the thread is named by what its samples mostly run.
// node lib/processor-profile-categories.cjs <dir with .cpuprofile files> [cpu-seconds-per-100k-calls-divisor]
const fs = require('node:fs');
const path = require('node:path');
const { categorise } = require('./profile-categorise.cjs');

const src = (dir) => (f) => f.url.includes(`/processor/dist/${dir}/`);
const file = (re) => (f) => re.test(f.url);
const cats = [
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ['idle / program', (f) => f.functionName === '(idle)' || f.functionName === '(program)'],
  ['protobuf decode', file(/processor\/dist\/otlp\/(decode|wire|string-table|decode-protobuf)/)],
  ['inflate (gzip)', file(/processor\/dist\/otlp\/inflate|node:zlib/)],
  ['redaction (@mcptrail/redact)', file(/\/redact\/dist\//)],
  ['normalize (drafts from spans/logs)', (f) => /processor\/dist\/audit\/normalize|processor\/dist\/otlp\/(prepare|item-rules|ingest)/.test(f.url)],
  ['inbox encode/decode + append', file(/processor\/dist\/(audit\/inbox-codec|store\/inbox)/)],
  ['pairing + merge', file(/processor\/dist\/audit\/(pairing|merge)/)],
  ['seal: canonical body + SHA-256 + chain', (f) => /processor\/dist\/(chain\/hash|audit\/seal)/.test(f.url) || /processor\/dist\/chain\/(merkle|checkpoint|signing)/.test(f.url)],
  ['SQLite statements (better-sqlite3)', (f) => /better-sqlite3/.test(f.url) || /processor\/dist\/store\/(sqlite|write-gate|checkpoint-rows)/.test(f.url)],
  ['detection rules + books', src('detect')],
  ['detection thread plumbing + state commit', src('replica')],
  ['sinks / alerts', src('sinks')],
  ['console rollup', file(/processor\/dist\/store\/rollup|processor\/dist\/console/)],
  ['HTTP receive + response', (f) => /processor\/dist\/http\//.test(f.url) || /node:(_http|http|net|stream|internal\/streams)/.test(f.url) || /^node:internal\/(http|stream)/.test(f.url)],
  ['structured clone / messaging', (f) => /worker_threads|internal\/worker|per_context\/messageport/.test(f.url) || /postMessage|structuredClone/.test(f.functionName)],
  ['JSON.parse / stringify (builtin)', (f) => f.url === '' && /^(parse|stringify)$/.test(f.functionName)],
  ['other mcptrail', file(/processor\/dist\//)],
];

const dir = process.argv[2];
const perHundredK = Number(process.argv[3] ?? 0); // calls in the profiled run, to print CPU-s per 100,000 calls
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  const { totals, total } = categorise(p, cats, 'other (node internals)');
  const busy = total - (totals.get('idle / program') ?? 0);
  if (busy < 0.05 * 1e6) continue; // threads that barely ran
  const top = [...totals].filter(([k]) => k !== 'idle / program').sort((a, b) => b[1] - a[1]);
  const scale = perHundredK > 0 ? 100_000 / perHundredK : 0;
  console.log(`\n${name}: busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled${scale ? ` (${((busy / 1e6) * scale).toFixed(1)} CPU-s per 100,000 calls)` : ''}`);
  for (const [k, t] of top) if (t / busy >= 0.01) console.log(`  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${k}`);
}
