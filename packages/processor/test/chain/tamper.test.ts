import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCheckpoint } from '../../src/chain/checkpoint';
import { GENESIS_HASH } from '../../src/chain/hash';
import { createSigner } from '../../src/chain/signing';
import { checkpointFromRow, checkpointToRow } from '../../src/store/checkpoint-rows';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore } from '../../src/store/sqlite';
import fs from 'node:fs';
import path from 'node:path';
import { buildTrail, forgeBody, rowAt, shiftSeqs, tamper, type BuiltTrail } from './trail-fixture';

let pristine: BuiltTrail;
let n = 0;

beforeAll(async () => {
  pristine = await buildTrail(50, 10);
});
afterAll(() => pristine.cleanup());

/** A fresh copy of the pristine trail per test, so each attack starts from an intact file. */
function copy(): string {
  const target = path.join(pristine.dir, `copy-${n++}.db`);
  fs.copyFileSync(pristine.dbPath, target);
  return target;
}

async function verify(dbPath: string, key = pristine.publicKeyPem) {
  const store = openSqliteStore({ path: dbPath });
  try {
    const report = await verifyTrail(store, key);
    return { report, chain: report.chains[0]! };
  } finally {
    await store.close();
  }
}

describe('verifyTrail on an intact trail', () => {
  it('passes and reports counts', async () => {
    const { report, chain } = await verify(copy());
    expect(report.ok).toBe(true);
    expect(chain).toMatchObject({ chain_id: 'main', records: 50, first_seq: 1, last_seq: 50, checkpoints: 6, last_checkpoint_seq: 50, ok: true, problem: null, problems: [] });
  });

  it('accepts the public key as PEM text, as a file path, or the private key path', async () => {
    const db = copy();
    const keyPath = path.join(pristine.dir, 'trail.db.ed25519.pub.pem');
    expect((await verify(db, keyPath)).report.ok).toBe(true);
    expect((await verify(db, path.join(pristine.dir, 'trail.db.ed25519.pem'))).report.ok).toBe(true);
  });
});

describe('verifyTrail names the first tampered record', () => {
  it('modified: a field edited in place', async () => {
    const db = copy();
    tamper(db, (d) => d.prepare(`UPDATE audit_records SET body = json_set(body, '$.tool', 'drop_database') WHERE seq = 17`).run());
    const { report, chain } = await verify(db);
    expect(report.ok).toBe(false);
    expect(chain.problem).toMatchObject({ kind: 'modified', seq: 17 });
  });

  it('modified: only the stored hash changed', async () => {
    const db = copy();
    tamper(db, (d) => d.prepare(`UPDATE audit_records SET hash = ? WHERE seq = 33`).run('f'.repeat(64)));
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'modified', seq: 33 });
  });

  it('modified: a field edited and the row hash recomputed', async () => {
    const db = copy();
    tamper(db, (d) => {
      const row = rowAt(d, 17);
      const forged = forgeBody(row.body, { actor_id: 'someone-else' });
      d.prepare(`UPDATE audit_records SET body = ?, hash = ? WHERE seq = 17`).run(forged.body, forged.hash);
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'modified', seq: 17 });
  });

  it('checkpoint_mismatch: the whole tail rewritten with recomputed hashes', async () => {
    const db = copy();
    tamper(db, (d) => {
      let prev = rowAt(d, 16).hash;
      for (let seq = 17; seq <= 50; seq++) {
        const row = rowAt(d, seq);
        const forged = forgeBody(row.body, { prev_hash: prev, ...(seq === 17 ? { outcome: 'ok', tool: 'harmless' } : {}) });
        d.prepare(`UPDATE audit_records SET body = ?, hash = ? WHERE seq = ?`).run(forged.body, forged.hash, seq);
        prev = forged.hash;
      }
    });
    const { chain } = await verify(db);
    expect(chain.problem).toMatchObject({ kind: 'checkpoint_mismatch', seq: 20 });
    expect(chain.problem!.detail).toContain('after seq 10');
  });

  it('deleted: a row removed from the middle', async () => {
    const db = copy();
    tamper(db, (d) => d.prepare(`DELETE FROM audit_records WHERE seq = 23`).run());
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'deleted', seq: 23 });
  });

  it('deleted: a row removed and the rest renumbered', async () => {
    const db = copy();
    tamper(db, (d) => {
      d.prepare(`DELETE FROM audit_records WHERE seq = 23`).run();
      shiftSeqs(d, 24, -1);
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'deleted', seq: 23 });
  });

  it('deleted: the newest rows removed (the final checkpoint still vouches for them)', async () => {
    const db = copy();
    tamper(db, (d) => d.prepare(`DELETE FROM audit_records WHERE seq > 47`).run());
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'deleted', seq: 48 });
  });

  it('deleted: every record removed, checkpoints left behind', async () => {
    const db = copy();
    tamper(db, (d) => d.prepare(`DELETE FROM audit_records`).run());
    const { report, chain } = await verify(db);
    expect(report.ok).toBe(false);
    expect(chain.problem).toMatchObject({ kind: 'deleted', seq: 1 });
  });

  it('inserted: a correctly hashed forged row slipped in and later rows renumbered', async () => {
    const db = copy();
    tamper(db, (d) => {
      const before = rowAt(d, 29);
      const template = rowAt(d, 30);
      shiftSeqs(d, 30, 1);
      const forged = forgeBody(template.body, { seq: 30, prev_hash: before.hash, tool: 'exfiltrate', trace_id: null, span_id: null });
      d.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES ('main', 30, ?, ?)`).run(forged.hash, forged.body);
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'inserted', seq: 30 });
  });

  it('inserted: a forged row between checkpoints', async () => {
    const db = copy();
    tamper(db, (d) => {
      const before = rowAt(d, 32);
      const template = rowAt(d, 33);
      shiftSeqs(d, 33, 1);
      const forged = forgeBody(template.body, { seq: 33, prev_hash: before.hash, tool: 'exfiltrate', trace_id: null, span_id: null });
      d.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES ('main', 33, ?, ?)`).run(forged.hash, forged.body);
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'inserted', seq: 33 });
  });

  it('inserted: a junk row slipped in', async () => {
    const db = copy();
    tamper(db, (d) => {
      const template = rowAt(d, 30);
      shiftSeqs(d, 30, 1);
      const body = template.body.replace('"tool":"', '"tool":"x').replace(/"trace_id":"[0-9a-f]+"/, '"trace_id":null');
      d.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES ('main', 30, ?, ?)`).run('0'.repeat(64), body);
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'inserted', seq: 30 });
  });

  it('reordered: two rows swapped', async () => {
    const db = copy();
    tamper(db, (d) => {
      d.prepare(`UPDATE audit_records SET seq = -1 WHERE seq = 12`).run();
      d.prepare(`UPDATE audit_records SET seq = 12 WHERE seq = 13`).run();
      d.prepare(`UPDATE audit_records SET seq = 13 WHERE seq = -1`).run();
    });
    const { chain } = await verify(db);
    expect(chain.problem).toMatchObject({ kind: 'reordered', seq: 12 });
  });

  it('reordered: rows far apart swapped', async () => {
    const db = copy();
    tamper(db, (d) => {
      d.prepare(`UPDATE audit_records SET seq = -1 WHERE seq = 5`).run();
      d.prepare(`UPDATE audit_records SET seq = 5 WHERE seq = 40`).run();
      d.prepare(`UPDATE audit_records SET seq = 40 WHERE seq = -1`).run();
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'reordered', seq: 5 });
  });
});

describe('verifyTrail checks checkpoint signatures', () => {
  it('checkpoint_forged: a signature altered', async () => {
    const db = copy();
    tamper(db, (d) => {
      const { signature } = d.prepare(`SELECT signature FROM checkpoints WHERE seq = 20`).get() as { signature: string };
      const bytes = Buffer.from(signature, 'base64');
      bytes[5] = bytes[5]! ^ 0xff;
      d.prepare(`UPDATE checkpoints SET signature = ? WHERE seq = 20`).run(bytes.toString('base64'));
    });
    const { chain } = await verify(db);
    expect(chain.problem).toMatchObject({ kind: 'checkpoint_forged', seq: 20 });
  });

  it('checkpoint_forged: a checkpoint signed with another key', async () => {
    const db = copy();
    const mallory = createSigner(generateKeyPairSync('ed25519').privateKey);
    tamper(db, (d) => {
      const last = checkpointFromRow(d.prepare(`SELECT * FROM checkpoints WHERE seq = 20`).get() as Record<string, unknown>);
      const leaves = (d.prepare(`SELECT hash FROM audit_records WHERE seq > 20 AND seq <= 25 ORDER BY seq`).pluck().all() as string[]);
      const cp = buildCheckpoint(
        { head: { seq: 25, hash: rowAt(d, 25).hash }, last, leaves, alerts: { seq: 0, hash: GENESIS_HASH } },
        { chainId: 'main', origin: 'mcptrail/main', time: '2026-01-01T01:00:00.000Z', signer: mallory },
      );
      d.prepare(
        `INSERT INTO checkpoints (chain_id, seq, hash, time, signature, key_id, origin, root, prev, alerts_seq, alerts_hash, frontier)
         VALUES (@chain_id, @seq, @hash, @time, @signature, @key_id, @origin, @root, @prev, @alerts_seq, @alerts_hash, @frontier)`,
      ).run(checkpointToRow(cp));
    });
    expect((await verify(db)).chain.problem).toMatchObject({ kind: 'checkpoint_forged', seq: 25 });
  });

  it('fails every checkpoint against the wrong verification key', async () => {
    const other = generateKeyPairSync('ed25519').publicKey;
    const { chain } = await verify(copy(), other.export({ type: 'spki', format: 'pem' }).toString());
    expect(chain.problem).toMatchObject({ kind: 'checkpoint_forged', seq: 0 });
  });

  it('rejects a key that is not Ed25519 with a typed error', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(verify(copy(), rsa)).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_VERIFY_KEY_INVALID' });
  });
});
