import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/chain/hash';
import { proveConsistency, proveInclusion } from '../../src/chain/prove';
import { purgeBefore } from '../../src/chain/retention';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { fillTrail, makePristine, type Pristine } from './backends';
import { flipped, leafOf, openCheckpoint, verifyConsistency, verifyInclusion } from './rfc9162';

let pristine: Pristine;
let store: SqliteAuditStore;
beforeAll(async () => {
  pristine = makePristine();
  store = openSqliteStore({ path: `${pristine.dir}/proofs.db` });
  // 37 records, a checkpoint every 5 (sizes 0,5,…,35,37): odd sizes exercise the right edge of the tree.
  await fillTrail(store, pristine.signer, { records: 37, every: 5 });
});
afterAll(async () => {
  await store.close();
  fs.rmSync(pristine.dir, { recursive: true, force: true });
});

describe('inclusion proofs (RFC 9162 2.1.3), checked by an independent verifier', () => {
  it('every record against every checkpoint that covers it; any changed hash fails', async () => {
    const sizes = (await store.checkpoints('main')).map((c) => c.seq);
    expect(sizes).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 37]);
    let checked = 0;
    for (const size of sizes) {
      for (let seq = 1; seq <= size; seq++) {
        const p = await proveInclusion(store, 'main', seq, pristine.signer.publicKey, size);
        const cp = openCheckpoint(p.checkpoint, pristine.publicKeyPem);
        expect(cp).toMatchObject({ size, rootHex: p.root });
        // The leaf is derived from the record itself: hash = SHA-256(prev_hash ‖ body).
        const row = store.db.prepare(`SELECT hash, body FROM audit_records WHERE seq = ?`).get(seq) as { hash: string; body: string };
        expect(chainHash(JSON.parse(row.body).prev_hash, row.body)).toBe(p.record_hash);
        expect(leafOf(p.record_hash).toString('hex')).toBe(p.leaf_hash);
        expect(verifyInclusion(p.leaf_index, size, p.leaf_hash, p.inclusion_path, cp!.rootHex)).toBe(true);
        for (const bad of flipped(p.inclusion_path)) expect(verifyInclusion(p.leaf_index, size, p.leaf_hash, bad, cp!.rootHex)).toBe(false);
        expect(verifyInclusion(p.leaf_index, size, [...flipped([p.leaf_hash])][0]![0]!, p.inclusion_path, cp!.rootHex)).toBe(false);
        expect(verifyInclusion(p.leaf_index, size, p.leaf_hash, p.inclusion_path, [...flipped([cp!.rootHex])][0]![0]!)).toBe(false);
        if (size > 1) expect(verifyInclusion((p.leaf_index + 1) % size, size, p.leaf_hash, p.inclusion_path, cp!.rootHex)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(5 + 10 + 15 + 20 + 25 + 30 + 35 + 37);
  });

  it('a checkpoint note with a changed root, size or signature does not open', async () => {
    const p = await proveInclusion(store, 'main', 3, pristine.signer.publicKey);
    expect(openCheckpoint(p.checkpoint, pristine.publicKeyPem)).not.toBeNull();
    expect(openCheckpoint(p.checkpoint.replace('\n37\n', '\n36\n'), pristine.publicKeyPem)).toBeNull();
    const lines = p.checkpoint.split('\n');
    lines[2] = Buffer.alloc(32, 7).toString('base64');
    expect(openCheckpoint(lines.join('\n'), pristine.publicKeyPem)).toBeNull();
  });
});

describe('consistency proofs (RFC 9162 2.1.4), checked by an independent verifier', () => {
  it('between every pair of checkpoints; any changed hash fails', async () => {
    const cps = await store.checkpoints('main');
    for (const a of cps) {
      for (const b of cps.filter((c) => c.seq >= a.seq)) {
        const p = await proveConsistency(store, 'main', a.seq, b.seq, pristine.signer.publicKey);
        const from = openCheckpoint(p.from.checkpoint, pristine.publicKeyPem)!;
        const to = openCheckpoint(p.to.checkpoint, pristine.publicKeyPem)!;
        expect(verifyConsistency(from.size, to.size, from.rootHex, to.rootHex, p.consistency_path)).toBe(true);
        for (const bad of flipped(p.consistency_path)) expect(verifyConsistency(from.size, to.size, from.rootHex, to.rootHex, bad)).toBe(false);
        if (a.seq > 0 && a.seq < b.seq) {
          expect(verifyConsistency(from.size, to.size, [...flipped([from.rootHex])][0]![0]!, to.rootHex, p.consistency_path)).toBe(false);
          expect(verifyConsistency(from.size, to.size, from.rootHex, [...flipped([to.rootHex])][0]![0]!, p.consistency_path)).toBe(false);
        }
      }
    }
  });

  it('after retention the retained records are still provable against later checkpoints', async () => {
    const copyPath = `${pristine.dir}/retained.db`;
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    fs.copyFileSync(`${pristine.dir}/proofs.db`, copyPath);
    const retained = openSqliteStore({ path: copyPath });
    try {
      const cps = await retained.checkpoints('main');
      const cutoff = new Date(Date.parse(cps.find((c) => c.seq === 15)!.time) + 1);
      expect((await purgeBefore(retained, cutoff)).purged).toBe(15);
      for (let seq = 16; seq <= 37; seq++) {
        const p = await proveInclusion(retained, 'main', seq, pristine.signer.publicKey);
        expect(verifyInclusion(p.leaf_index, p.tree_size, p.leaf_hash, p.inclusion_path, p.root)).toBe(true);
      }
      const c = await proveConsistency(retained, 'main', 15, 37, pristine.signer.publicKey);
      expect(verifyConsistency(15, 37, c.from.root, c.to.root, c.consistency_path)).toBe(true);
      await expect(proveInclusion(retained, 'main', 3, pristine.signer.publicKey)).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_PROOF_RANGE' });
    } finally {
      await retained.close();
    }
  });
});
