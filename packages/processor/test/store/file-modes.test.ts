import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite';
import { openFileWitness } from '../../src/witness/file-witness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-modes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const modeOf = (f: string) => fs.statSync(f).mode & 0o777;

describe('store file modes', () => {
  it('creates the database, -wal and -shm 0600 even under umask 000', async () => {
    const old = process.umask(0);
    try {
      const db = path.join(dir, 'fresh.db');
      const store = openSqliteStore({ path: db });
      await store.appendAlertEvents([{ event: 'raised', alert_id: 'a', rule_id: 'r', time: '2026-01-01T00:00:00.000Z' }]);
      expect(fs.existsSync(`${db}-wal`)).toBe(true);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) expect([f, modeOf(f)]).toEqual([f, 0o600]);
      await store.close();
    } finally {
      process.umask(old);
    }
  });

  it('tightens a store an older version left world-readable; keeps a documented 0640 group', async () => {
    const db = path.join(dir, 'old.db');
    (await openSqliteStore({ path: db })).close();
    fs.chmodSync(db, 0o644);
    const store = openSqliteStore({ path: db });
    expect(modeOf(db)).toBe(0o600);
    await store.close();
    fs.chmodSync(db, 0o640);
    const again = openSqliteStore({ path: db });
    expect(modeOf(db)).toBe(0o640);
    await again.close();
  });

  it('creates the witness directory 0700 (the witness file itself is public data, 0644)', () => {
    const file = path.join(dir, 'w', 'deep', 'x.main.witness');
    const old = process.umask(0o022);
    try {
      openFileWitness(file);
      expect(modeOf(path.dirname(file))).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });
});
