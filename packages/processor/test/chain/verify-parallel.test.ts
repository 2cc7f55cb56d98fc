/**
 * Parallel verify (worker threads over checkpoint segments) against the sequential verifier,
 * as an attacker with write access to the SQLite file: a record tampered with in the first,
 * a middle and the last segment, at a segment boundary, records deleted at the end of a
 * segment, and a checkpoint's (unsigned) stored frontier replaced. In every case the workers'
 * report must equal the sequential one and name the same first bad record. Controls: the
 * untouched trail verifies on both, with the walk really split over the workers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTrail, type VerifyReport } from '../../src/chain/verify';
import { planCuts } from '../../src/chain/verify-parallel';
import { createVerifyPool, type VerifyPool } from '../../src/chain/verify-pool';
import { openSqliteStore } from '../../src/store/sqlite';
import { type BuiltTrail, buildTrail, tamper } from './trail-fixture';

const RECORDS = 60;
const EVERY = 10;
/** Long after the trail was written: nothing is "recent". */
const NOW = Date.parse('2027-01-01T00:00:00Z');

let trail: BuiltTrail;
let pool: VerifyPool;
let n = 0;

beforeAll(async () => {
  trail = await buildTrail(RECORDS, EVERY);
}, 60_000);
afterAll(async () => {
  await pool?.close();
  trail?.cleanup();
});

/** A copy of the trail, changed by `attack`. */
function copyWith(attack: (db: import('better-sqlite3').Database) => void): string {
  const file = path.join(trail.dir, `copy-${n++}.db`);
  fs.copyFileSync(trail.dbPath, file);
  tamper(file, attack);
  return file;
}

/** Sequential and parallel verify of `file`; the pool's workers open the same file. */
async function both(file: string): Promise<{ sequential: VerifyReport; parallel: VerifyReport; segments: number }> {
  await pool?.close();
  pool = createVerifyPool({ trail: { kind: 'sqlite', path: file }, threads: 2, segments: 6, minSegmentRecords: 1 });
  const store = openSqliteStore({ path: file, readOnly: true });
  try {
    const opts = { chains: ['main'], now: NOW, maxUncoveredMs: 600_000 };
    const sequential = await verifyTrail(store, trail.publicKeyPem, opts);
    const parallel = await verifyTrail(store, trail.publicKeyPem, { ...opts, walker: pool.walker });
    return { sequential, parallel, segments: pool.stats().segments };
  } finally {
    await store.close();
  }
}

const editBody = (seq: number) => (db: import('better-sqlite3').Database) => {
  const row = db.prepare(`SELECT body FROM audit_records WHERE seq = ?`).get(seq) as { body: string };
  db.prepare(`UPDATE audit_records SET body = ? WHERE seq = ?`).run(row.body.replace(/"tool":"tool_\d"/, '"tool":"harmless"'), seq);
};

describe('parallel verify over checkpoint segments', () => {
  it('plans segments at checkpoints, about equal, none shorter than asked', () => {
    expect(planCuts(1, [0, 10, 20, 30, 40, 50, 60], { segments: 3, minRecords: 1 })).toEqual([20, 40, 60]);
    expect(planCuts(1, [0, 10, 20, 30, 40, 50, 60], { segments: 6, minRecords: 25 })).toEqual([30, 60]);
    // After retention the anchor (seq 20) is before the first record: not a cut.
    expect(planCuts(21, [20, 30, 40], { segments: 4, minRecords: 1 })).toEqual([30, 40]);
    expect(planCuts(1, [0], { segments: 4, minRecords: 1 })).toEqual([]);
  });

  it('control: the untouched trail verifies, the workers walking every segment', async () => {
    const { sequential, parallel, segments } = await both(copyWith(() => undefined));
    expect(sequential.ok).toBe(true);
    expect(parallel).toEqual(sequential);
    // Cuts at 10..60 and the (empty) tail after the last checkpoint.
    expect(segments).toBe(7);
    expect(pool.stats().records).toBe(RECORDS);
  });

  it.each([
    ['first', 3],
    ['a middle', 34],
    ['the last', 58],
    ['the boundary record of a middle', 30],
    ['the first record of a middle', 31],
  ])('finds a record edited in %s segment, as the sequential verifier does', async (_where, seq) => {
    const { sequential, parallel } = await both(copyWith(editBody(seq)));
    expect(sequential.chains[0]!.problem).toMatchObject({ kind: 'modified', seq });
    expect(parallel).toEqual(sequential);
  });

  it('records deleted at the end of a segment: the join sees the gap the sequential walk sees', async () => {
    const { sequential, parallel } = await both(copyWith((db) => db.prepare(`DELETE FROM audit_records WHERE seq IN (29, 30)`).run()));
    expect(sequential.chains[0]!.problem).toMatchObject({ kind: 'deleted', seq: 29 });
    expect(parallel).toEqual(sequential);
  });

  it("a checkpoint's stored frontier replaced (it is not signed): the segment after it is walked from the records, not from the frontier", async () => {
    const { sequential, parallel } = await both(
      copyWith((db) => {
        const other = db.prepare(`SELECT frontier FROM checkpoints WHERE seq = 40`).get() as { frontier: string };
        db.prepare(`UPDATE checkpoints SET frontier = ? WHERE seq = 20`).run(other.frontier);
      }),
    );
    // Nothing the records or signatures say is wrong: both verdicts are "intact", and equal.
    expect(sequential.ok).toBe(true);
    expect(parallel).toEqual(sequential);
  });

  it('a record edited and the chain re-hashed in a middle segment: the next checkpoint no longer matches', async () => {
    const { sequential, parallel } = await both(
      copyWith((db) => {
        editBody(44)(db);
        // Re-hash 44..60 as someone who knows the hashing would (prev_hash inside each body, then the hash).
        let prev = (db.prepare(`SELECT hash FROM audit_records WHERE seq = 43`).get() as { hash: string }).hash;
        for (const row of db.prepare(`SELECT seq, body FROM audit_records WHERE seq >= 44 ORDER BY seq`).all() as Array<{ seq: number; body: string }>) {
          const body = canonicalJson({ ...(JSON.parse(row.body) as object), prev_hash: prev });
          const hash = createHash('sha256').update(prev).update(body).digest('hex');
          db.prepare(`UPDATE audit_records SET body = ?, hash = ? WHERE seq = ?`).run(body, hash, row.seq);
          prev = hash;
        }
      }),
    );
    expect(sequential.chains[0]!.problem).toMatchObject({ kind: 'checkpoint_mismatch', seq: 50 });
    expect(parallel).toEqual(sequential);
  });
});
