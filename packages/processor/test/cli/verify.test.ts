import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { createEmitter } from '../service/telemetry';
import { run } from './spawn';

// Spawns the built CLI: run `npx tsc -b` in packages/processor first.
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mcptrail verify', () => {
  it('exits 0 on an intact trail and 1 naming the kind and seq of a modified record', async () => {
    const db = path.join(dir, 'v.db');
    const p = await startProcessor(loadConfig({ flags: { db, port: '0' } }), { logger: createLogger({ level: 'silent', redactor: null }) });
    const emitter = createEmitter(p.url, { format: 'json', gzip: false });
    for (let i = 0; i < 5; i++) emitter.call({ tool: 'search', session: 'v' });
    await emitter.shutdown();
    await p.close();

    const intact = await run(['verify', '--db', db]);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/chain main: 5 records \(seq 1-5\), \d+ checkpoints: intact/);

    const sqlite = new Database(db);
    const row = sqlite.prepare('SELECT body FROM audit_records WHERE seq = 3').get() as { body: string };
    sqlite.prepare('UPDATE audit_records SET body = ? WHERE seq = 3').run(row.body.replace('"search"', '"delete_all"'));
    sqlite.close();

    const tampered = await run(['verify', '--db', db]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('TAMPERED');
    expect(tampered.stdout).toMatch(/first problem: modified at seq 3/);
    const json = await run(['verify', '--db', db, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).chains[0].problem).toMatchObject({ kind: 'modified', seq: 3 });
  }, 60_000);
});
