/** `mcptrail verify` and `mcptrail prove`: the trail checked against trust kept outside the store. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ChainError } from '../chain/errors';
import { proveConsistency, proveInclusion } from '../chain/prove';
import { publicKeyPathFor, toPublicKey } from '../chain/signing';
import { verifyTrail, type VerifyOptions } from '../chain/verify';
import { createVerifyPool, verifyTrailSpecOf } from '../chain/verify-pool';
import type { ProcessorConfig } from '../config/schema';
import { chainIdOf, signingKeyPathOf, usesPostgres } from '../replica/open-trail';
import { uncoveredLimitMs } from '../witness/verify-options';
import type { Checkpoint } from '../store/types';
import { readWitnessFile } from '../witness/file-witness';
import { trailNameOf, witnessDirOf } from '../witness/paths';
import { CliError, UsageError } from './errors';
import { type CliIo, type FlagValues, openExistingStore, resolveConfig, writeLine } from './context';

/** --public-key, else trail.public_key_file, else the `.pub.pem` beside the signing key. */
function publicKeysOf(values: FlagValues, config: ProcessorConfig): string[] {
  if (typeof values['public-key'] === 'string') return values['public-key'].split(',').map((k) => k.trim()).filter(Boolean);
  if (config.trail.public_key_file) return [config.trail.public_key_file];
  const keyPath = signingKeyPathOf(config);
  return [existsSync(publicKeyPathFor(keyPath)) ? publicKeyPathFor(keyPath) : keyPath];
}

function checkedKeys(values: FlagValues, config: ProcessorConfig): string[] {
  const keys = publicKeysOf(values, config);
  for (const k of keys) if (!existsSync(k)) throw new CliError('MCPTRAIL_ERR_CLI_NO_STORE', `no public key at '${k}' (set --public-key)`);
  return keys;
}

/** --witness FILE[,FILE] | none; default: this trail's files in witness.dir when witnessing is enabled. */
function witnessFiles(values: FlagValues, config: ProcessorConfig): string[] | null {
  const flag = values.witness;
  if (flag === 'none') return null;
  if (typeof flag === 'string') {
    const files = flag.split(',').map((f) => f.trim()).filter(Boolean);
    for (const f of files) if (!existsSync(f)) throw new CliError('MCPTRAIL_ERR_CLI_NO_STORE', `no witness file at '${f}'`);
    return files;
  }
  if (!config.witness.enabled) return null;
  const dir = witnessDirOf(config);
  const stem = `${trailNameOf(config.store.path)}.`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(stem) && f.endsWith('.witness'))
    .map((f) => path.join(dir, f));
}

/** --expect-size N (this replica's chain) or CHAIN=N[,CHAIN=N]. */
function expectedSizes(values: FlagValues, config: ProcessorConfig): Map<string, number> {
  const out = new Map<string, number>();
  const flag = values['expect-size'];
  if (typeof flag !== 'string') return out;
  for (const part of flag.split(',')) {
    const m = /^(?:([A-Za-z0-9._:-]+)=)?(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`option '--expect-size' must be N or CHAIN=N[,CHAIN=N], got '${part}'`, 'verify');
    out.set(m[1] ?? chainIdOf(config), Number(m[2]));
  }
  return out;
}

export async function verifyCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const keys = checkedKeys(values, config);
  const files = witnessFiles(values, config);
  const witnessed: Checkpoint[] | undefined = files ? files.flatMap((f) => readWitnessFile(f)) : undefined;
  const opts: VerifyOptions = {
    // The chain this configuration writes must exist (with PostgreSQL only when a replica is named).
    chains: values['allow-empty'] || (usesPostgres(config) && !config.trail.replica_id) ? [] : [chainIdOf(config)],
    expectSize: expectedSizes(values, config),
    maxUncoveredMs: uncoveredLimitMs(config),
    ...(witnessed ? { witnessed } : {}),
  };
  const threads = threadsFlag(values);
  const trail = await openExistingStore(config);
  const spec = verifyTrailSpecOf(config.store.path);
  const pool = threads !== 1 && spec ? createVerifyPool({ trail: spec, ...(threads === null ? {} : { threads }) }) : null;
  try {
    const report = await verifyTrail(trail.store, keys.length === 1 ? keys[0]! : keys, pool ? { ...opts, walker: pool.walker } : opts);
    if (values.json) {
      writeLine(io.stdout, JSON.stringify({ ...report, witness_files: files ?? [] }));
    } else {
      for (const c of report.chains) {
        const range = c.records > 0 ? `seq ${c.first_seq}-${c.last_seq}` : 'empty';
        const witness = c.witnessed ? `, witnessed through seq ${c.witnessed.seq ?? '(nothing yet)'}` : '';
        writeLine(
          io.stdout,
          `chain ${c.chain_id}: ${c.records} records (${range}), ${c.checkpoints} checkpoints: ${c.ok ? 'intact' : 'TAMPERED'} (${c.alert_events} alert events${witness})`,
        );
        if (c.problem) writeLine(io.stdout, `  first problem: ${c.problem.kind} at seq ${c.problem.seq}: ${c.problem.detail}`);
        for (const p of c.problems) if (p !== c.problem) writeLine(io.stdout, `  also: ${p.kind} at seq ${p.seq}: ${p.detail}`);
      }
      if (files === null) writeLine(io.stdout, 'witness: not checked (records after the newest checkpoint in the store, and a store rewritten with its key, go unnoticed)');
      else if (files.length === 0) writeLine(io.stdout, `witness: no witness file for this trail in ${witnessDirOf(config)}`);
      writeLine(io.stdout, report.ok ? `trail intact: ${report.records} records` : 'trail NOT intact');
    }
    return report.ok ? 0 : 1;
  } finally {
    await pool?.close();
    await trail.close();
  }
}

/** --threads N (N >= 1); null: the default (one per CPU). */
function threadsFlag(values: FlagValues): number | null {
  const v = values.threads;
  if (v === undefined) return null;
  if (typeof v !== 'string' || !/^[1-9]\d{0,2}$/.test(v)) throw new UsageError(`option '--threads' must be an integer from 1 to 999, got '${String(v)}'`, 'verify');
  return Number(v);
}

function intFlag(values: FlagValues, name: string): number | null {
  const v = values[name];
  if (v === undefined) return null;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`option '--${name}' must be a non-negative integer, got '${String(v)}'`, 'prove');
  return Number(v);
}

export async function proveCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const seq = intFlag(values, 'seq');
  const from = intFlag(values, 'from');
  if ((seq === null) === (from === null)) throw new UsageError('give either --seq N (inclusion) or --from SIZE (consistency)', 'prove');
  const size = intFlag(values, 'size');
  const to = intFlag(values, 'to');
  const publicKey = toPublicKey(checkedKeys(values, config)[0]!);
  const chainId = typeof values.chain === 'string' ? values.chain : chainIdOf(config);
  const trail = await openExistingStore(config);
  try {
    const proof =
      seq !== null
        ? await proveInclusion(trail.store, chainId, seq, publicKey, size)
        : await proveConsistency(trail.store, chainId, from!, to, publicKey);
    writeLine(io.stdout, JSON.stringify(proof, null, values.json ? undefined : 2));
    return 0;
  } catch (err) {
    if (err instanceof RangeError) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', err.message);
    throw err;
  } finally {
    await trail.close();
  }
}
