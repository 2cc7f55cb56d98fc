/**
 * Issue #10's attacks, on SQLite and on PostgreSQL, by someone who can write the store:
 * every one must make `verify` fail and name the first bad record or checkpoint. Controls
 * (the untouched copy, the same attack without the witness) show what catches each one.
 */
import fs from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner } from '../../src/chain/signing';
import { verifyTrail, type VerifyOptions } from '../../src/chain/verify';
import { segmentsHere, segmentWalker } from '../../src/chain/verify-parallel';
import { readWitnessFile } from '../../src/witness/file-witness';
import { pgAvailability } from '../scale/pg-cluster';
import {
  type Backend,
  checkpointsOf,
  editAndRehash,
  fillTrail,
  makePristine,
  postgresBackend,
  type Pristine,
  resignAll,
  rowAt,
  rowReaderOnly,
  setRow,
  sqliteBackend,
  type TrailCopy,
} from './backends';

const { bin, skip: noPg } = pgAvailability();
/** A day after the trail was written: every record and checkpoint is long past the signing interval. */
const NOW = Date.parse('2026-01-02T00:00:00Z');

const matrix: Array<['sqlite' | 'postgres', boolean]> = [
  ['sqlite', false],
  ['postgres', noPg],
];

describe.each(matrix)('tamper evidence on %s', (name, skip) => {
  let pristine: Pristine;
  let backend: Backend;
  const open: TrailCopy[] = [];

  beforeAll(async () => {
    if (skip) return;
    pristine = makePristine();
    const b = name === 'sqlite' ? sqliteBackend(pristine) : postgresBackend(pristine, bin!);
    await b.build();
    backend = b;
  }, 180_000);
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close().catch(() => undefined)));
    backend?.destroy();
    if (pristine) fs.rmSync(pristine.dir, { recursive: true, force: true });
  }, 180_000);

  async function copy(): Promise<TrailCopy> {
    const t = await backend.copy();
    open.push(t);
    return t;
  }

  /**
   * verify as the CLI runs it: the trusted key, this chain expected, the witness (unless `witness: false`).
   * Every case also runs the parallel verifier's segment walk (one segment per checkpoint
   * interval, here on this thread): it must report exactly what the sequential walk reports.
   * On SQLite, also through the row reader alone (no packed batches): the same again.
   */
  async function verify(t: TrailCopy, o: { witness?: boolean; key?: string; extra?: VerifyOptions } = {}) {
    const witnessed = o.witness === false ? undefined : readWitnessFile(pristine.witnessFile);
    const opts: VerifyOptions = { chains: ['main'], now: NOW, maxUncoveredMs: 600_000, ...(witnessed ? { witnessed } : {}), ...o.extra };
    const report = await verifyTrail(t.store, o.key ?? pristine.publicKeyPem, opts);
    const segmented = await verifyTrail(t.store, o.key ?? pristine.publicKeyPem, { ...opts, walker: segmentWalker(segmentsHere(t.store), { segments: 5, minRecords: 1 }) });
    expect(segmented).toEqual(report);
    // And through the row reader alone: the packed reader takes exactly the records it would take.
    if (t.store.packedRange) expect(await verifyTrail(rowReaderOnly(t.store), o.key ?? pristine.publicKeyPem, opts)).toEqual(report);
    return { report, chain: report.chains.find((c) => c.chain_id === 'main')! };
  }

  it.skipIf(skip)('control: the untouched trail verifies, with and without the witness', async () => {
    const t = await copy();
    for (const witness of [true, false]) {
      const { report, chain } = await verify(t, { witness });
      expect(report.ok).toBe(true);
      expect(chain).toMatchObject({ records: 50, checkpoints: 6, alert_events: 3, problem: null });
    }
    expect((await verify(t)).chain.witnessed).toEqual({ checkpoints: 6, seq: 50 });
  });

  it.skipIf(skip)('edit without rehash: record 21 denied → ok', async () => {
    const t = await copy();
    const row = await rowAt(t, 21);
    expect(row.body).toContain('"outcome":"denied"');
    await setRow(t, 21, row.body.replace('"outcome":"denied"', '"outcome":"ok"'), row.hash);
    const { report, chain } = await verify(t);
    expect(report.ok).toBe(false);
    expect(chain.problem).toMatchObject({ kind: 'modified', seq: 21 });
  });

  it.skipIf(skip)('edit + rehash of the rest of the chain: the next checkpoint (30) no longer matches', async () => {
    const t = await copy();
    await editAndRehash(t, 21, { outcome: 'ok' });
    const { chain } = await verify(t, { witness: false });
    expect(chain.problem).toMatchObject({ kind: 'checkpoint_mismatch', seq: 30 });
    expect(chain.problem!.detail).toContain('after seq 20');
  });

  it.skipIf(skip)('edit + rehash + delete every checkpoint: the genesis checkpoint is missing, and the witness disagrees from 21', async () => {
    const t = await copy();
    await editAndRehash(t, 21, { outcome: 'ok' });
    await t.sql(`DELETE FROM checkpoints`);
    const alone = await verify(t, { witness: false });
    expect(alone.report.ok).toBe(false);
    expect(alone.chain.problem).toMatchObject({ kind: 'checkpoint_missing', seq: 0 });
    const { chain } = await verify(t);
    expect(chain.problems).toContainEqual(expect.objectContaining({ kind: 'inconsistent', seq: 30, detail: expect.stringContaining('records 21..30') }));
  });

  it.skipIf(skip)('edit + rehash + delete the later checkpoints: records after 20 are uncovered; the witness disagrees from 21', async () => {
    const t = await copy();
    await editAndRehash(t, 21, { outcome: 'ok' });
    await t.sql(`DELETE FROM checkpoints WHERE seq > 20`);
    const alone = await verify(t, { witness: false });
    expect(alone.chain.problem).toMatchObject({ kind: 'uncovered', seq: 21 });
    const { chain } = await verify(t);
    expect(chain.problem).toMatchObject({ kind: 'uncovered', seq: 21 });
    expect(chain.problems).toContainEqual(expect.objectContaining({ kind: 'inconsistent', seq: 30 }));
  });

  it.skipIf(skip)('tail truncation without its checkpoints: the final checkpoint vouches for deleted records', async () => {
    const t = await copy();
    await t.sql(`DELETE FROM audit_records WHERE seq > 25`);
    const { chain } = await verify(t, { witness: false });
    expect(chain.problem).toMatchObject({ kind: 'deleted', seq: 26 });
  });

  it.skipIf(skip)('tail truncation with its checkpoints, mid-segment: the tail left is uncovered', async () => {
    const t = await copy();
    await t.sql(`DELETE FROM audit_records WHERE seq > 25`);
    await t.sql(`DELETE FROM checkpoints WHERE seq > 20`);
    expect((await verify(t, { witness: false })).chain.problem).toMatchObject({ kind: 'uncovered', seq: 21 });
  });

  it.skipIf(skip)('tail truncation with its checkpoints, at a checkpoint: only the witness (or an expected size) knows', async () => {
    const t = await copy();
    await t.sql(`DELETE FROM audit_records WHERE seq > 20`);
    await t.sql(`DELETE FROM checkpoints WHERE seq > 20`);
    // Control: the store alone is self-consistent; this is why the witness exists.
    expect((await verify(t, { witness: false })).report.ok).toBe(true);
    const { chain } = await verify(t);
    expect(chain.problem).toMatchObject({ kind: 'truncated', seq: 21 });
    expect(chain.problem!.detail).toContain('records 21..50 were deleted');
    const told = await verify(t, { witness: false, extra: { expectSize: new Map([['main', 50]]) } });
    expect(told.chain.problem).toMatchObject({ kind: 'truncated', seq: 21 });
  });

  it.skipIf(skip)('empty trail: every record, checkpoint and alert event deleted', async () => {
    const t = await copy();
    await t.sql(`DELETE FROM audit_records`);
    await t.sql(`DELETE FROM checkpoints`);
    await t.sql(`DELETE FROM alert_events`);
    const alone = await verify(t, { witness: false });
    expect(alone.report.ok).toBe(false);
    expect(alone.chain.problem).toMatchObject({ kind: 'empty', seq: 0 });
    const { chain } = await verify(t);
    expect(chain.problems).toContainEqual(expect.objectContaining({ kind: 'truncated', seq: 1 }));
  });

  it.skipIf(skip)('whole store and keys replaced: the witnessed checkpoints are not signed by the new key', async () => {
    const mallory = createSigner(generateKeyPairSync('ed25519').privateKey);
    const fake = await backend.empty();
    try {
      await fillTrail(fake.store, mallory, { tool: () => 'harmless' });
      const copyOf = { store: fake.store, sql: async () => [], close: async () => undefined } as TrailCopy;
      // Control: with the replaced key and no witness, the forgery is self-consistent.
      expect((await verify(copyOf, { witness: false, key: mallory.publicKeyPem })).report.ok).toBe(true);
      const { report, chain } = await verify(copyOf, { key: mallory.publicKeyPem });
      expect(report.ok).toBe(false);
      expect(chain.problem).toMatchObject({ kind: 'inconsistent', seq: 0 });
      expect(chain.problem!.detail).toMatch(/not signed by the verification key/);
    } finally {
      await fake.close();
    }
  });

  it.skipIf(skip)('re-signed with a stolen key: history the witness saw is inconsistent with the store', async () => {
    const t = await copy();
    await editAndRehash(t, 21, { outcome: 'ok' });
    await resignAll(t, pristine.signer);
    // Control: the store alone cannot tell (the key is the real one).
    expect((await verify(t, { witness: false })).report.ok).toBe(true);
    const { chain } = await verify(t);
    expect(chain.problem).toMatchObject({ kind: 'inconsistent', seq: 30 });
    expect(chain.problem!.detail).toContain('records 21..30 differ');
    expect(chain.problem!.detail).toContain('records 1..20 match');
  });

  it.skipIf(skip)('the remaining window: a stolen key rewriting only what no witness has seen yet passes, until the witness sees more', async () => {
    const t = await copy();
    await editAndRehash(t, 45, { tool: 'harmless' });
    await resignAll(t, pristine.signer);
    const through40 = readWitnessFile(pristine.witnessFile).filter((c) => c.seq <= 40);
    const report = await verifyTrail(t.store, pristine.publicKeyPem, { chains: ['main'], now: NOW, witnessed: through40 });
    expect(report.ok).toBe(true);
    // The witness that saw checkpoint 50 catches it.
    expect((await verify(t)).chain.problem).toMatchObject({ kind: 'inconsistent', seq: 50 });
  });

  it.skipIf(skip)('an alert event deleted (the acknowledgement), or the last one, or edited', async () => {
    const a = await copy();
    await a.sql(`DELETE FROM alert_events WHERE seq = 2`);
    expect((await verify(a, { witness: false })).chain.problem).toMatchObject({ kind: 'alert_deleted', seq: 2 });
    const b = await copy();
    await b.sql(`DELETE FROM alert_events WHERE seq = 3`);
    expect((await verify(b, { witness: false })).chain.problem).toMatchObject({ kind: 'alert_deleted', seq: 3 });
    const c = await copy();
    const [ev] = (await c.sql(`SELECT body FROM alert_events WHERE seq = 2`)) as Array<{ body: string }>;
    await c.sql(`UPDATE alert_events SET body = ? WHERE seq = 2`, [ev!.body.replace('"alice"', '"mallory"')]);
    expect((await verify(c, { witness: false })).chain.problem).toMatchObject({ kind: 'alert_modified', seq: 2 });
  });

  it.skipIf(skip)('checkpoints reordered (two swapped) or one deleted from the middle', async () => {
    const t = await copy();
    await t.sql(`UPDATE checkpoints SET seq = -1 WHERE seq = 20`);
    await t.sql(`UPDATE checkpoints SET seq = 20 WHERE seq = 30`);
    await t.sql(`UPDATE checkpoints SET seq = 30 WHERE seq = -1`);
    const { chain } = await verify(t, { witness: false });
    expect(chain.problem).toMatchObject({ kind: 'checkpoint_reordered', seq: 20 });
    const d = await copy();
    await d.sql(`DELETE FROM checkpoints WHERE seq = 30`);
    expect((await verify(d, { witness: false })).chain.problem).toMatchObject({ kind: 'checkpoint_missing', seq: 40 });
    expect((await checkpointsOf(d)).map((c) => c.seq)).toEqual([0, 10, 20, 40, 50]);
  });
});
