// Same-run comparison of two builds of @mcptrail/redact on the bench inputs: CPU time per redact()
// call, medians of interleaved runs, and whether both builds give identical output.
//   git worktree add /tmp/redact-old <commit> && (cd /tmp/redact-old/packages/redact && npx tsc -b)
//   node packages/redact/scripts/compare-builds.mjs /tmp/redact-old/packages/redact/dist/index.js [--runs 11] [--min-ms 300] [--adversarial]
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const beforePath = args[0];
if (!beforePath || beforePath.startsWith('--')) {
  process.stderr.write('usage: compare-builds.mjs <path to the other build dist/index.js> [--runs N] [--min-ms MS] [--adversarial]\n');
  process.exit(2);
}
const runs = flag('runs', 11);
const minMs = flag('min-ms', 300);
const inputs = await import(fileURLToPath(new URL('../../../bench/lib/redaction-inputs.mjs', import.meta.url)));
const options = { hmacKey: 'bench-hmac-key-0123456789abcdef' };
const before = require(beforePath).createRedactor(options);
const after = require('../dist/index.js').createRedactor(options);

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
function perCall(fn) {
  let n = 0;
  const start = cpu();
  while (cpu() - start < minMs * 1000) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return (cpu() - start) / n;
}
const out = (line) => process.stdout.write(`${line}\n`);

out('| input | before µs | after µs | change | same output |');
out('|---|---|---|---|---|');
for (const [label, value] of [['0.2 KB', inputs.args200()], ['1 KB', inputs.args1k()], ['10 KB', inputs.args10k()]]) {
  for (let i = 0; i < 1000; i++) {
    before.redact(value);
    after.redact(value);
  }
  const b = [];
  const a = [];
  for (let r = 0; r < runs; r++) {
    b.push(perCall(() => before.redact(value)));
    a.push(perCall(() => after.redact(value)));
  }
  const same = JSON.stringify(before.redact(value)) === JSON.stringify(after.redact(value));
  out(`| ${label} | ${median(b).toFixed(2)} | ${median(a).toFixed(2)} | ${((median(a) / median(b) - 1) * 100).toFixed(0)} % | ${same} |`);
}

if (args.includes('--adversarial')) {
  // Slowest of three calls, the cold first one included: what an attacker's first request costs.
  const worst = (fn) => {
    let w = 0;
    for (let r = 0; r < 3; r++) {
      const t = cpu();
      fn();
      w = Math.max(w, (cpu() - t) / 1000);
    }
    return w;
  };
  out('\n| adversarial input | before ms | after ms |');
  out('|---|---|---|');
  for (const [label, s] of Object.entries(inputs.adversarialStrings())) {
    out(`| ${label} (redactText) | ${worst(() => before.redactText(s)).toFixed(1)} | ${worst(() => after.redactText(s)).toFixed(1)} |`);
  }
  for (const [label, v] of Object.entries(inputs.adversarialStructures())) {
    out(`| ${label} | ${worst(() => before.redact(v)).toFixed(1)} | ${worst(() => after.redact(v)).toFixed(1)} |`);
  }
}
