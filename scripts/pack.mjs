#!/usr/bin/env node
// `npm run pack [-- <dir>]`: build, then `npm pack` every public package into <dir> (default
// `packs/`), printing one tarball path a line. Until the packages are on the registry, install
// them from there, all in one `npm install` so their dependencies on each other resolve to
// the tarballs (see README, "Install").
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
/** Published packages, in dependency order. */
export const PUBLIC_PACKAGES = ['conventions', 'redact', 'instrumentation-mcp', 'register', 'processor'];

const args = process.argv.slice(2);
const out = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'packs'));
mkdirSync(out, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (!args.includes('--no-build')) {
  execFileSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
for (const name of PUBLIC_PACKAGES) {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) throw new Error(`${pkg.name} is private`);
  const [packed] = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }));
  process.stdout.write(`${join(out, packed.filename)}\n`);
}
