// Differential check of two builds of @mcptrail/redact: every output (redactText value and count,
// redact() value, count, types) must be identical on the generated corpus in several wrappings,
// the look-alike corpus, the benchmark's inputs, the adversarial strings (first 4 KB) and random
// strings built from rule literals, digit shapes and separators. Prints the number of inputs
// compared and every difference; exits 1 on a difference.
//   node packages/redact/scripts/compare-outputs.mjs <other build>/dist/index.js [--random 100000] [--control]
// --control disables one rule (github_token) in this build: the comparison must then report differences.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const otherPath = args[0];
if (!otherPath || otherPath.startsWith('--')) {
  process.stderr.write('usage: compare-outputs.mjs <path to the other build dist/index.js> [--random N] [--control]\n');
  process.exit(2);
}
const randomIndex = args.indexOf('--random');
const randomCount = randomIndex >= 0 ? Number(args[randomIndex + 1]) : 100_000;
const control = args.includes('--control');
const options = { hmacKey: 'compare-outputs-key-0123456789' };
const other = require(otherPath).createRedactor(options);
const mine = require('../dist/index.js').createRedactor(control ? { ...options, disable: ['github_token'] } : options);
const inputs = await import(fileURLToPath(new URL('../../../bench/lib/redaction-inputs.mjs', import.meta.url)));
const { loadGeneratedCorpus } = await import(fileURLToPath(new URL('../../../bench/lib/redaction-corpus.mjs', import.meta.url)));
const gen = loadGeneratedCorpus();

let compared = 0;
const differences = [];
const show = (r) => JSON.stringify(r);
function text(t) {
  compared++;
  const a = show(other.redactText(t));
  const b = show(mine.redactText(t));
  if (a !== b && differences.length < 20) differences.push(`redactText(${JSON.stringify(t).slice(0, 120)}):\n  other ${a.slice(0, 200)}\n  this  ${b.slice(0, 200)}`);
  else if (a !== b) differences.push('');
}
function value(v) {
  compared++;
  const a = show(other.redact(v));
  const b = show(mine.redact(v));
  if (a !== b && differences.length < 20) differences.push(`redact(${JSON.stringify(v).slice(0, 120)}):\n  other ${a.slice(0, 200)}\n  this  ${b.slice(0, 200)}`);
  else if (a !== b) differences.push('');
}

const wraps = [(s) => s, (s) => `note: ${s} (end)`, (s) => `password=${s}`, (s) => `{"token":"${s}"}`, (s) => `https://example.com/cb?q=${encodeURIComponent(s)}&page=2`, (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))];
for (const c of gen.generatedCorpus()) {
  for (const w of wraps) text(w(c.text));
  value({ args: { note: c.text, list: [c.text], [c.text.slice(0, 40)]: true } });
}
for (const l of gen.lookAlikeCorpus(25)) {
  text(l.text);
  value({ v: l.text });
}
for (const make of [inputs.args200, inputs.args1k, inputs.args10k]) value(make());
for (const s of Object.values(inputs.adversarialStrings())) text(s.slice(0, 4096));

// Random strings (mulberry32, fixed seed): rule literals, provider prefixes, digit shapes, separators, Unicode forms.
let seed = 20261202;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pieces = [
  'Bearer ', 'basic ', 'eyJ', 'secret', 'Secret=', 'AccountKey=', 'sig=', '://', 'user:', '@', 'pass', 'pwd ', 'pin ', 'password is ',
  'ghp_', 'xoxb-', 'sk-', 'glpat-', 'AKIA', 'SG.', 'hvs.', 'npm_', 'token=', 'api_key: ', '--password ', ' -p ', '-----BEGIN ',
  '123', '4567', '89', '0', '-', '.', ' ', '/', '+', '(', ')', '%41', '%20', 'AB', 'Z', 'k', 'x', 'ORD-', 'T', ':', '=', ',', '"',
  '4111 1111 1111 1111', '123-45-6789', '+44 20 7946 0958', 'DE89 3704 0044 0532 0130 00', 'a@b.co', 'PESEL ', 'cpr ', '２０',
  '16C7e42F292c6912E7710c838347Ae178B4a', 'Zm9vOmJhcg==', '756.1234.5678.97', '12.345.678-5', 'RSSMRA85T10A562S', '850101-1234',
];
for (let n = 0; n < randomCount; n++) {
  let t = '';
  const parts = 1 + Math.floor(rnd() * 12);
  for (let k = 0; k < parts; k++) t += pieces[Math.floor(rnd() * pieces.length)];
  if (rnd() < 0.5) t += String.fromCharCode(48 + Math.floor(rnd() * 75));
  text(t);
  if (n % 10 === 0) value({ k: t, list: [t.slice(0, 8), t.slice(8)] });
}

process.stdout.write(`${compared} inputs compared, ${differences.length} differences${control ? ' (control: this build has github_token disabled)' : ''}\n`);
for (const d of differences.filter(Boolean)) process.stdout.write(`${d}\n`);
process.exit(differences.length > 0 ? 1 : 0);
