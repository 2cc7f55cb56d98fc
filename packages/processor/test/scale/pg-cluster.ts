/**
 * A private PostgreSQL cluster for tests, started from Debian's binaries
 * (/usr/lib/postgresql/<v>/bin) in a temp dir, on 127.0.0.1 and a free port. No system
 * service is needed. As root, the server runs as the `postgres` OS user (initdb refuses root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PG_INSTALL_HINT = 'apt-get update && apt-get install -y postgresql';

/** The newest installed server's bin dir, or null. */
export function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')) && fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/**
 * Whether PostgreSQL tests can run here. Without the binaries they are skipped with a loud
 * message, unless CI is set: then the suite fails (CI must install them).
 */
export function pgAvailability(): { bin: string | null; skip: boolean } {
  const bin = findPgBin();
  if (bin) return { bin, skip: false };
  if (process.env.CI) throw new Error(`PostgreSQL binaries not found under /usr/lib/postgresql (CI is set): run \`${PG_INSTALL_HINT}\``);
  process.stderr.write(
    `\n!!! SKIPPING PostgreSQL tests: no /usr/lib/postgresql/*/bin/initdb. Install with: ${PG_INSTALL_HINT}\n\n`,
  );
  return { bin: null, skip: true };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (`immediate`: like a crash; `fast`: clean). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again on the same port and data. */
  start(): void;
  /** Stops and deletes everything. Safe to call twice. */
  destroy(): void;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function runAsOwner(bin: string, args: string[]): void {
  const cmd = asRoot ? 'runuser' : bin;
  const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
}

export async function startPgCluster(bin: string): Promise<PgCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  runAsOwner(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60 -c shared_buffers=32MB`;
  const start = () => runAsOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
  let running = false;
  const stop = (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    runAsOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  };
  start();
  running = true;
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop,
    start: () => {
      start();
      running = true;
    },
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      try {
        stop('immediate');
      } catch {
        // already down
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
