// Small statistics and formatting helpers shared by the benchmarks.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function median(values) {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile of a numeric sample (q in [0, 1]); NaN for an empty sample. */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** A number with sensible precision for a table cell. */
export function fmt(value, digits) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** A markdown table from a header row and body rows. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The machine a figure was measured on, for RESULTS.md. */
export function machine() {
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim();
  } catch {
    kernel = process.platform;
  }
  let commit = 'unknown';
  try {
    // dist/ is built from the working tree, which may hold other engineers' uncommitted work.
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', cwd: new URL('.', import.meta.url) }).trim();
  } catch {}
  return {
    commit,
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel,
  };
}

export function machineLine(m = machine()) {
  return `${m.date} · commit ${m.commit} · ${m.nproc} CPUs (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · ${m.kernel}`;
}

/** Parses `--name value` / `--name=value` flags with numeric defaults taken from the environment. */
export function flags(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split('=', 2);
    const key = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown flag '--${name}' (known: ${Object.keys(defaults).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')})`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new Error(`flag '--${name}' needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(raw.replace(/_/g, ''));
      if (!Number.isFinite(n) || n < 0) throw new Error(`flag '--${name}' must be a non-negative number, got '${raw}'`);
      out[key] = n;
    } else {
      out[key] = raw;
    }
  }
  return out;
}

/** The command line that reproduces this run, for RESULTS.md. */
export function commandLine() {
  const script = process.argv[1].replace(/^.*\/bench\//, '');
  return ['node', script, ...process.argv.slice(2)].join(' ');
}
