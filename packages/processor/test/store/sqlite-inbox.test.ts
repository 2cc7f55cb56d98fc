/**
 * The SQLite inbox as the receiving thread uses it: a split group commit's slices stay open
 * (unsealable) until the last one closes them, closing does not copy their payloads again, an
 * append waits for another connection's write lock without blocking the event loop, and a
 * store whose open slices were marked the pre-v5 way still drops them at start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite-schema';
import { INBOX_OPEN } from '../../src/store/types';

let dir: string;
let file: string;
let store: SqliteAuditStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-inbox-'));
  file = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: file });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One slice's worth of payload: 1 MiB of incompressible-looking text. */
const slice = (i: number) => JSON.stringify(Array.from({ length: 16_384 }, (_, k) => `${i}:${k}:${(k * 2654435761) % 1e9}`.padEnd(60, 'x')));
const walBytes = () => fs.statSync(`${file}-wal`).size;

describe('the SQLite inbox', () => {
  it('closing a group of four 1 MiB open slices writes a few pages, not the slices again', async () => {
    const open: number[] = [];
    for (let i = 0; i < 4; i++) open.push(await store.appendInbox(slice(i), { open: true }));
    const before = walBytes();
    const last = await store.appendInbox('[]', { closes: open });
    const closing = walBytes() - before;
    expect(closing).toBeLessThan(64 * 1024);
    expect((await store.readInbox()).map((e) => [e.id, e.done])).toEqual([...open, last].map((id) => [id, null]));

    // Control: clearing a mark kept in the payload's row (what v2-v4 did) rewrites every row.
    store.db.prepare(`UPDATE audit_inbox SET done = ? WHERE id IN (${open.join(',')})`).run(INBOX_OPEN);
    const control = walBytes();
    store.db.prepare(`UPDATE audit_inbox SET done = NULL WHERE id IN (${open.join(',')})`).run();
    expect(walBytes() - control).toBeGreaterThan(3 * 1024 * 1024);
  });

  it('drops the slices of a group that never closed at start, keeps closed entries, and discards on request', async () => {
    const a = await store.appendInbox('["a"]', { open: true });
    const b = await store.appendInbox('["b"]', { open: true });
    const c = await store.appendInbox('["c"]', { closes: [a, b] });
    const plain = await store.appendInbox('["plain"]');
    const stray = await store.appendInbox('["stray"]', { open: true });
    await store.close();
    store = openSqliteStore({ path: file });
    expect((await store.readInbox()).map((e) => e.id)).toEqual([a, b, c, plain]);
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox WHERE id = ?`).pluck().get(stray)).toBe(0);
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox_open`).pluck().get()).toBe(0);
    const d = await store.appendInbox('["d"]', { open: true });
    await store.discardInbox([d]);
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox_open`).pluck().get()).toBe(0);
    expect((await store.readInbox()).map((e) => e.id)).toEqual([a, b, c, plain]);
  });

  it('a v4 store (open slices marked in done) migrates: its open slices are dropped, its acknowledged entries kept', async () => {
    await store.close();
    // Make the file what schema 4 wrote: no side table, the mark in `done`.
    const raw = new Database(file);
    raw.exec(`DROP TABLE audit_inbox_open`);
    raw.prepare(`UPDATE mcptrail_schema SET version = 4 WHERE component = 'trail'`).run();
    const keep = Number(raw.prepare(`INSERT INTO audit_inbox (payload, done) VALUES ('["kept"]', NULL)`).run().lastInsertRowid);
    const noted = Number(raw.prepare(`INSERT INTO audit_inbox (payload, done) VALUES ('["noted"]', '[0]')`).run().lastInsertRowid);
    raw.prepare(`INSERT INTO audit_inbox (payload, done) VALUES ('["open"]', ?)`).run(INBOX_OPEN);
    raw.close();
    store = openSqliteStore({ path: file });
    expect(store.db.prepare(`SELECT version FROM mcptrail_schema WHERE component = 'trail'`).pluck().get()).toBe(SQLITE_SCHEMA_VERSION);
    expect((await store.readInbox()).map((e) => [e.id, e.done])).toEqual([
      [keep, null],
      [noted, '[0]'],
    ]);
  });

  it('keeps the connection waiting for locks and checkpointing for every other write (the sealer thread seals through the same store)', async () => {
    const settings = () => [store.db.pragma('busy_timeout', { simple: true }), store.db.pragma('wal_autocheckpoint', { simple: true })];
    expect(settings()).toEqual([5000, 10000]);
    await store.readInbox();
    expect(settings()).toEqual([5000, 10000]);
    await store.appendInbox('[]');
    expect(settings()).toEqual([5000, 10000]);
  });

  it("waits for another connection's write lock with the event loop free, then appends", async () => {
    const other = new Database(file);
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    // Control: a write on the store's connection that may wait does wait (the lock is held).
    store.db.pragma('busy_timeout = 20');
    expect(() => store.db.prepare(`INSERT INTO audit_inbox (payload) VALUES ('[]')`).run()).toThrow(/locked|busy/i);
    store.db.pragma('busy_timeout = 5000');

    let settled = false;
    const appended = store.appendInbox('["waited"]').finally(() => (settled = true));
    // The append is pending, and timers keep firing meanwhile.
    let turns = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      turns++;
    }
    expect(turns).toBe(5);
    expect(settled).toBe(false);
    other.exec('COMMIT');
    other.close();
    const id = await appended;
    expect((await store.readInbox()).map((e) => e.id)).toEqual([id]);
    // The connection's own busy timeout and WAL checkpoints are back for everything else.
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10000);
  });

  it("off the thread: appends commit on a connection of their own (durable, not part of this connection's transaction)", async () => {
    // Control first, on this thread: an append made while this connection is inside a
    // transaction joins it, and a rollback takes it back.
    store.db.exec('BEGIN IMMEDIATE');
    await store.appendInbox('["joined"]');
    store.db.exec('ROLLBACK');
    expect(await store.readInbox()).toEqual([]);

    store.writeInboxOffThread();
    store.db.exec('BEGIN IMMEDIATE');
    let settled = false;
    const appended = store.appendInbox('["own"]', { open: true }).finally(() => (settled = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
    // The writer waits for this connection's lock: it is another connection.
    expect(settled).toBe(false);
    store.db.exec('ROLLBACK');
    const open = await appended;
    const last = await store.appendInbox('["last"]', { closes: [open] });
    const stray = await store.appendInbox('["stray"]', { open: true });
    await store.discardInbox([stray]);
    expect((await store.readInbox()).map((e) => [e.id, e.payload])).toEqual([
      [open, '["own"]'],
      [last, '["last"]'],
    ]);
  });
});
