// A large PostgreSQL trail for benchmarks: a private cluster from Debian's binaries
// (/usr/lib/postgresql/<v>/bin, as test/scale/pg-cluster.ts) on 127.0.0.1 and a free port, holding
// a copy of a SQLite trail's records (bench/lib/make-trail.mjs) with the filter columns the
// PostgreSQL store writes. The schema is the store's own (openPostgresStore creates it); its
// secondary indexes are built after the copy, as a restore would.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgBin() {
  const root = '/usr/lib/postgresql';
  const v = fs.existsSync(root) ? fs.readdirSync(root).filter((x) => fs.existsSync(path.join(root, x, 'bin', 'initdb'))).sort((a, b) => b - a)[0] : null;
  if (!v) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql (apt-get install -y postgresql)');
  return path.join(root, v, 'bin');
}

function run(bin, args) {
  const r = spawnSync(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed: ${r.stderr || r.stdout}`);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts a cluster in `dir` (created); returns its URL and a stop(). */
export async function startCluster(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-bench-pg-'))) {
  const bin = pgBin();
  const data = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  if (!fs.existsSync(data)) run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB -c synchronous_commit=off`;
  run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', options, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    stop: () => run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']),
    cpuMs: () => clusterCpuMs(data),
  };
}

/** CPU of the cluster so far, ms: the postmaster, its live backends and the children it reaped (Linux /proc). */
function clusterCpuMs(data) {
  const master = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const tick = 10; // USER_HZ = 100 on Linux
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (Number(pid) === master) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (ppid === master) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * tick;
}

/** Copies every record of the SQLite trail `file` into the PostgreSQL trail at `url`. */
export async function copyTrail(dist, file, url, log = () => {}) {
  const require = createRequire(path.join(dist, 'index.js'));
  const Database = require('better-sqlite3');
  const { Pool } = require('pg');
  const { openPostgresStore } = require(path.join(dist, 'store/postgres.js'));
  const { FILTER_COLUMNS, POSTGRES_SCHEMA_V1 } = require(path.join(dist, 'store/postgres-schema.js'));
  const store = await openPostgresStore({ url });
  await store.close();
  const pool = new Pool({ connectionString: url, max: 2 });
  const indexes = POSTGRES_SCHEMA_V1.filter((s) => /^CREATE (UNIQUE )?INDEX/.test(s));
  for (const s of indexes) await pool.query(`DROP INDEX IF EXISTS ${/INDEX IF NOT EXISTS (\w+)/.exec(s)[1]}`);
  const db = new Database(file, { readonly: true });
  const total = db.prepare('SELECT count(*) AS n FROM audit_records').get().n;
  const page = db.prepare('SELECT chain_id, seq, hash, body FROM audit_records WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT 5000');
  const insert =
    `INSERT INTO audit_records (chain_id, seq, hash, body, ${FILTER_COLUMNS.join(', ')}) ` +
    `SELECT * FROM json_to_recordset($1::json) AS u(chain_id text, seq bigint, hash text, body text, ${FILTER_COLUMNS.map((c) => `${c} text`).join(', ')})`;
  const value = (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
  let copied = 0;
  for (const chain of db.prepare('SELECT DISTINCT chain_id FROM audit_records').pluck().all()) {
    let after = 0;
    for (;;) {
      const rows = page.all(chain, after);
      if (rows.length === 0) break;
      const batch = rows.map((r) => {
        const rec = JSON.parse(r.body);
        const out = { chain_id: r.chain_id, seq: r.seq, hash: r.hash, body: r.body };
        for (const c of FILTER_COLUMNS) out[c] = value(rec[c]);
        return out;
      });
      await pool.query(insert, [JSON.stringify(batch)]);
      after = rows[rows.length - 1].seq;
      copied += rows.length;
      if (copied % 100_000 === 0) log(`  postgres: ${copied.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} records`);
    }
  }
  log('  postgres: building the indexes');
  for (const s of indexes) await pool.query(s);
  await pool.query('ANALYZE audit_records');
  db.close();
  await pool.end();
  return copied;
}
