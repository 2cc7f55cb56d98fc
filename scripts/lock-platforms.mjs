#!/usr/bin/env node
// Records the platform-specific optional packages (turbo, biome, … binaries for other
// operating systems) that `npm install` leaves out of package-lock.json when the registry
// it talks to does not serve them (npm/cli#8320; the mirror on our build machines 404s on
// darwin/win32/musl binaries). Without these entries `npm ci` refuses the lockfile
// ("Missing: @turbo/darwin-64@ from lock file"); with them, each platform installs only
// its own binary. Run after any `npm install` that changes dependencies:
//   node scripts/lock-platforms.mjs        (exit 1 with --check when entries are missing)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const lockPath = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = [
  [/darwin|macos/, 'darwin'],
  [/win32|windows/, 'win32'],
  [/android/, 'android'],
  [/freebsd/, 'freebsd'],
  [/openbsd/, 'openbsd'],
  [/sunos/, 'sunos'],
  [/aix/, 'aix'],
  [/linux/, 'linux'],
];
const CPU = [
  [/arm64|aarch64/, 'arm64'],
  [/(^|-)arm($|-|eabi)/, 'arm'],
  [/ia32|x86($|-)/, 'ia32'],
  [/x64|-64($|-)|amd64/, 'x64'],
  [/ppc64/, 'ppc64'],
  [/s390x/, 's390x'],
  [/riscv64/, 'riscv64'],
  [/loong64/, 'loong64'],
];

function platformOf(name) {
  const base = name.split('/').pop();
  const os = OS.find(([re]) => re.test(base))?.[1];
  const cpu = CPU.find(([re]) => re.test(base))?.[1];
  if (!os || !cpu) return null;
  const entry = { os: [os], cpu: [cpu] };
  if (/musl/.test(base)) entry.libc = ['musl'];
  else if (os === 'linux' && /gnu/.test(base)) entry.libc = ['glibc'];
  return entry;
}

const added = [];
const unknown = [];
for (const [path, meta] of Object.entries(packages)) {
  const optional = meta.optionalDependencies;
  if (!path.startsWith('node_modules/') || !optional) continue;
  for (const [dep, range] of Object.entries(optional)) {
    const depPath = `node_modules/${dep}`;
    if (packages[depPath] || packages[`${path}/${depPath}`]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      unknown.push(`${dep} (optional dependency of ${path.slice('node_modules/'.length)})`);
      continue;
    }
    // Platform binaries are published in lockstep with their parent: the range is an exact version.
    const version = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range) ? range : meta.version;
    packages[depPath] = { version, ...platform, optional: true };
    added.push(`${dep}@${version}`);
  }
}

if (process.argv.includes('--check')) {
  if (added.length > 0) {
    console.error(`package-lock.json lacks ${added.length} platform entries (${added.join(', ')}): run node scripts/lock-platforms.mjs`);
    process.exit(1);
  }
} else if (added.length > 0) {
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.error(`recorded ${added.length} platform entries: ${added.join(', ')}`);
}
if (unknown.length > 0) console.error(`not platform packages, left alone: ${unknown.join('; ')}`);
