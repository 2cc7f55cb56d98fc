/**
 * verify's packed reader (SQLite's packedRange: a batch of bodies as one Buffer, hashed as
 * stored bytes) against the row reader (one [seq, hash, body] row per record, the body as a JS
 * string), as an attacker who writes the file byte by byte: the packed reader must take a
 * record only when the row reader would, so every report is the same through both. The
 * attacks aim at where bytes and strings differ (bytes that are not UTF-8, a BLOB
 * where text belongs, an upper-case hash) and at values the packing cannot hold. Controls:
 * the untouched trail is read by the packed reader (not the row reader), and the invalid
 * UTF-8 record is consistent with its hash over its stored bytes (so only the UTF-8 check
 * stops the packed reader taking it).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTrail, type VerifyReport } from '../../src/chain/verify';
import { openSqliteStore } from '../../src/store/sqlite';
import { rowReaderOnly } from './backends';
import { type BuiltTrail, buildTrail, rowAt, tamper } from './trail-fixture';

const RECORDS = 40;
const NOW = Date.parse('2027-01-01T00:00:00Z');

let trail: BuiltTrail;
let n = 0;

beforeAll(async () => {
  trail = await buildTrail(RECORDS, 10);
}, 60_000);
afterAll(() => trail?.cleanup());

function copyWith(attack: (db: Database.Database) => void): string {
  const file = path.join(trail.dir, `packed-${n++}.db`);
  fs.copyFileSync(trail.dbPath, file);
  tamper(file, attack);
  return file;
}

/** Both readers over `file`; `rowsRead` counts the records the row reader read in the packed run. */
async function both(file: string): Promise<{ packed: VerifyReport; rows: VerifyReport; rowsRead: number }> {
  const store = openSqliteStore({ path: file, readOnly: true });
  try {
    let rowsRead = 0;
    const rawRange = store.rawRange.bind(store);
    const counted = Object.create(store, {
      rawRange: {
        value: (...args: Parameters<typeof rawRange>) => {
          const out = rawRange(...args);
          rowsRead += out.length;
          return out;
        },
      },
    }) as typeof store;
    const opts = { chains: ['main'], now: NOW, maxUncoveredMs: 600_000 };
    const packed = await verifyTrail(counted, trail.publicKeyPem, opts);
    const rows = await verifyTrail(rowReaderOnly(store), trail.publicKeyPem, opts);
    return { packed, rows, rowsRead };
  } finally {
    await store.close();
  }
}

const sha256hex = (...parts: Array<string | Buffer>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Indexes on the generated columns parse each body as it is written; an attacker drops them first. */
function dropIndexes(db: Database.Database): void {
  for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_records' AND sql IS NOT NULL`).all() as Array<{ name: string }>) {
    db.prepare(`DROP INDEX ${name}`).run();
  }
}

/** Stores `bytes` as record `seq`'s body (as TEXT, unchecked: CAST keeps the bytes) with its hash recomputed over them. */
function storeBytes(db: Database.Database, seq: number, bytes: Buffer): void {
  dropIndexes(db);
  const prev = rowAt(db, seq - 1).hash;
  db.prepare(`UPDATE audit_records SET body = CAST(? AS TEXT), hash = ? WHERE seq = ?`).run(bytes, sha256hex(prev, bytes), seq);
}

describe('packed and row readers of verify', () => {
  it('control: the untouched trail verifies, and the packed reader read it (the row reader only the first record)', async () => {
    const { packed, rows, rowsRead } = await both(copyWith(() => undefined));
    expect(packed.ok).toBe(true);
    expect(packed.records).toBe(RECORDS);
    expect(rows).toEqual(packed);
    expect(rowsRead).toBeLessThanOrEqual(2);
  });

  it('a body that is not UTF-8, re-hashed over its stored bytes: both readers report it, the same way', async () => {
    let bytes: Buffer | null = null;
    const file = copyWith((db) => {
      const body = Buffer.from(rowAt(db, 17).body, 'utf8');
      const at = body.indexOf('"tool":"') + 8;
      bytes = Buffer.concat([body.subarray(0, at), Buffer.from([0xff, 0xfe]), body.subarray(at)]);
      storeBytes(db, 17, bytes);
    });
    // Control: the stored hash is right for the stored bytes, so the bytes alone would pass.
    tamper(file, (db) => {
      const stored = db.prepare(`SELECT CAST(body AS BLOB) AS b, hash FROM audit_records WHERE seq = 17`).get() as { b: Buffer; hash: string };
      expect(stored.b.equals(bytes!)).toBe(true);
      expect(sha256hex(rowAt(db, 16).hash, stored.b)).toBe(stored.hash);
    });
    const { packed, rows } = await both(file);
    expect(rows.chains[0]!.problem).toMatchObject({ kind: 'modified', seq: 17 });
    expect(packed).toEqual(rows);
  });

  it.each<[string, (db: Database.Database) => void]>([
    ['a body stored as a number', (db) => db.prepare(`UPDATE audit_records SET body = 42 WHERE seq = 23`).run()],
    ['a hash stored as a BLOB of its hex digits', (db) => db.prepare(`UPDATE audit_records SET hash = CAST(hash AS BLOB) WHERE seq = 8`).run()],
    // The bytes before a body are the previous record's stored hash: lengths that shift them, with the total kept.
    ['a hash one digit short and the next one digit long', (db) => {
      db.prepare(`UPDATE audit_records SET hash = substr(hash, 2) WHERE seq = 19`).run();
      db.prepare(`UPDATE audit_records SET hash = hash || 'a' WHERE seq = 20`).run();
    }],
    ['a hash in upper case', (db) => db.prepare(`UPDATE audit_records SET hash = upper(hash) WHERE seq = 31`).run()],
    ['a seq stored as text', (db) => db.prepare(`UPDATE audit_records SET seq = '26x' WHERE seq = 26`).run()],
    ['a record moved to the end of the table (same seq, a new rowid)', (db) => {
      const row = rowAt(db, 14);
      db.prepare(`DELETE FROM audit_records WHERE seq = 14`).run();
      db.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES ('main', ?, ?, ?)`).run(row.seq, row.hash, row.body);
    }],
  ])('%s: the same report through both readers', async (_what, attack) => {
    const { packed, rows } = await both(copyWith(attack));
    expect(packed).toEqual(rows);
  });

  it('a body stored as a BLOB of its own bytes reads as the same record through both readers', async () => {
    const file = copyWith((db) => {
      dropIndexes(db);
      db.prepare(`UPDATE audit_records SET body = CAST(body AS BLOB) WHERE seq = 5`).run();
    });
    const { packed, rows } = await both(file);
    expect(rows.ok).toBe(true);
    expect(packed).toEqual(rows);
  });
});
