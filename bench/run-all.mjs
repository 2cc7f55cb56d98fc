// `npm run bench`: every benchmark at its default size, one after another (never in parallel:
// they would measure each other). Each writes bench/results/<name>.{json,md}.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const BENCHES = ['instrumentation.bench.mjs', 'redaction.bench.mjs', 'ingest.bench.mjs', 'latency.bench.mjs'];
const NODE_ARGS = { 'redaction.bench.mjs': ['--expose-gc'] };
const only = process.argv.slice(2);
let failed = 0;
for (const bench of BENCHES) {
  if (only.length > 0 && !only.some((name) => bench.startsWith(name))) continue;
  process.stderr.write(`\n== ${bench}\n`);
  const { status } = spawnSync(process.execPath, [...(NODE_ARGS[bench] ?? []), bench], { cwd: here, stdio: 'inherit' });
  if (status !== 0) {
    failed++;
    process.stderr.write(`${bench} failed (exit ${status})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
