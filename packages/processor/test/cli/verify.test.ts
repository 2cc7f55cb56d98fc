import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { createEmitter } from '../service/telemetry';
import { leafOf, openCheckpoint, verifyConsistency, verifyInclusion } from '../chain/rfc9162';
import { run, serve } from './spawn';

// Spawns the built CLI: run `npx tsc -b` in packages/processor first.
const dir = fs.mkdtempSync(path.join(tmpdir(), 'mcptrail-verify-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const modeOf = (f: string) => fs.statSync(f).mode & 0o777;

/** Keys and witness in their own directories, away from the data, as in production. */
function layout(name: string) {
  const root = path.join(dir, name);
  const env = { MCPTRAIL_KEY_DIR: path.join(root, 'keys'), MCPTRAIL_WITNESS_DIR: path.join(root, 'witness') };
  return { db: path.join(root, 'data', 'trail.db'), env, root };
}

async function writeTrail(db: string, env: Record<string, string>, calls = 5) {
  const p = await startProcessor(loadConfig({ env, flags: { db, port: '0' } }), { logger: createLogger({ level: 'silent', redactor: null }) });
  const emitter = createEmitter(p.url, { format: 'json', gzip: false });
  for (let i = 0; i < calls; i++) emitter.call({ tool: 'search', session: 'v' });
  await emitter.shutdown();
  await p.close();
}

describe('mcptrail verify', () => {
  it('exits 0 on an intact trail and 1 naming the kind and seq of a modified record', async () => {
    const { db, env } = layout('basic');
    await writeTrail(db, env);
    const intact = await run(['verify', '--db', db], env);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/chain main: 5 records \(seq 1-5\), \d+ checkpoints: intact \(0 alert events, witnessed through seq 5\)/);
    expect((await run(['verify', '--db', db, '--threads', '1'], env)).code).toBe(0);
    expect((await run(['verify', '--db', db, '--threads', '0'], env)).code).toBe(2);

    const sqlite = new Database(db);
    const row = sqlite.prepare('SELECT body FROM audit_records WHERE seq = 3').get() as { body: string };
    sqlite.prepare('UPDATE audit_records SET body = ? WHERE seq = 3').run(row.body.replace('"search"', '"delete_all"'));
    sqlite.close();

    const tampered = await run(['verify', '--db', db], env);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('TAMPERED');
    expect(tampered.stdout).toMatch(/first problem: modified at seq 3/);
    const json = await run(['verify', '--db', db, '--json'], env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).chains[0].problem).toMatchObject({ kind: 'modified', seq: 3 });
  }, 60_000);

  it('keeps the key and the witness off the store, with private modes; the witness catches a truncated copy', async () => {
    const { db, env } = layout('witness');
    await writeTrail(db, env, 4);
    const dataDir = path.dirname(db);
    // Nothing secret or trust-bearing beside the data; the data is private.
    expect(fs.readdirSync(dataDir).filter((f) => !f.startsWith('trail.db'))).toEqual([]);
    for (const f of fs.readdirSync(dataDir)) expect([f, modeOf(path.join(dataDir, f))]).toEqual([f, 0o600]);
    const [key] = fs.readdirSync(env.MCPTRAIL_KEY_DIR).filter((f) => f.endsWith('.ed25519.pem') && !f.endsWith('.pub.pem'));
    expect(modeOf(path.join(env.MCPTRAIL_KEY_DIR, key!))).toBe(0o600);
    const [witness] = fs.readdirSync(env.MCPTRAIL_WITNESS_DIR);
    expect(witness).toMatch(/^trail-[0-9a-f]{8}\.main\.witness$/);

    // Delete the tail and its checkpoints: the store alone cannot tell, the witness can.
    const sqlite = new Database(db);
    sqlite.prepare('DELETE FROM audit_records WHERE seq > 2').run();
    sqlite.prepare('DELETE FROM checkpoints WHERE seq > 0').run();
    sqlite.close();
    const caught = await run(['verify', '--db', db], env);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(/first problem: (truncated|uncovered) at seq \d/);
    expect(caught.stdout).toMatch(/truncated at seq 3: the witness saw 4 records/);
    // Control: without the witness only the age of the uncovered records could tell (they are fresh here).
    const blind = await run(['verify', '--db', db, '--witness', 'none'], env);
    expect(blind.stdout).toContain('witness: not checked');
    expect(blind.code).toBe(0);
    expect((await run(['verify', '--db', db, '--witness', 'none', '--expect-size', '4'], env)).code).toBe(1);
  }, 60_000);

  it('an emptied trail fails (every chain has its genesis checkpoint); --allow-empty accepts a trail never written', async () => {
    const { db, env } = layout('empty');
    await writeTrail(db, env, 1);
    const sqlite = new Database(db);
    for (const t of ['audit_records', 'checkpoints', 'alert_events']) sqlite.prepare(`DELETE FROM ${t}`).run();
    sqlite.close();
    const out = await run(['verify', '--db', db, '--witness', 'none'], env);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/first problem: empty at seq 0/);
  }, 60_000);

  it('serve refuses a signing key readable by others, naming the path and the mode', async () => {
    const { db, env } = layout('mode');
    await writeTrail(db, env, 1);
    const keyDir = env.MCPTRAIL_KEY_DIR;
    const key = path.join(keyDir, fs.readdirSync(keyDir).find((f) => !f.endsWith('.pub.pem'))!);
    fs.chmodSync(key, 0o644);
    const refused = await serve(['--db', db, '--port', '0'], env).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refused).toContain(key);
    expect(refused).toContain('0644');
    expect(refused).toContain('MCPTRAIL_ERR_SIGNING_KEY_MODE');
    // Control: at 0600 it starts.
    fs.chmodSync(key, 0o600);
    const ok = await serve(['--db', db, '--port', '0'], env);
    ok.child.kill('SIGTERM');
    await ok.exited;
  }, 60_000);

  it('refuses a witness directory that is the database directory', async () => {
    const { db, env } = layout('beside');
    const out = await serve(['--db', db, '--port', '0'], { ...env, MCPTRAIL_WITNESS_DIR: path.dirname(db) }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(out).toContain("is the database's directory");
  }, 60_000);
});

describe('mcptrail prove', () => {
  it('prints inclusion and consistency proofs an independent RFC 9162 verifier accepts', async () => {
    const { db, env } = layout('prove');
    await writeTrail(db, env, 7);
    const pub = fs.readFileSync(
      path.join(env.MCPTRAIL_KEY_DIR, fs.readdirSync(env.MCPTRAIL_KEY_DIR).find((f) => f.endsWith('.pub.pem'))!),
      'utf8',
    );
    const inc = await run(['prove', '--db', db, '--seq', '5'], env);
    expect(inc.code).toBe(0);
    const p = JSON.parse(inc.stdout) as { leaf_index: number; tree_size: number; record_hash: string; leaf_hash: string; inclusion_path: string[]; checkpoint: string };
    const cp = openCheckpoint(p.checkpoint, pub)!;
    expect(cp.size).toBe(7);
    expect(leafOf(p.record_hash).toString('hex')).toBe(p.leaf_hash);
    expect(verifyInclusion(p.leaf_index, cp.size, p.leaf_hash, p.inclusion_path, cp.rootHex)).toBe(true);
    const con = await run(['prove', '--db', db, '--from', '0'], env);
    expect(con.code).toBe(0);
    const c = JSON.parse(con.stdout) as { from: { checkpoint: string }; to: { checkpoint: string }; consistency_path: string[] };
    const a = openCheckpoint(c.from.checkpoint, pub)!;
    const b = openCheckpoint(c.to.checkpoint, pub)!;
    expect(verifyConsistency(a.size, b.size, a.rootHex, b.rootHex, c.consistency_path)).toBe(true);
    const bad = await run(['prove', '--db', db, '--seq', '99'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('MCPTRAIL_ERR_PROOF_RANGE');
    expect((await run(['prove', '--db', db], env)).code).toBe(2);
  }, 60_000);
});
