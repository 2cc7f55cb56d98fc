/**
 * The witness file: an append-only NDJSON log of the checkpoint notes a chain published,
 * kept outside the store. Like a C2SP witness it refuses a checkpoint that does not extend
 * the last one it holds (a log must never show two inconsistent views), so a replaced or
 * rewound store is reported the moment it signs, not only at the next `verify`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { checkpointDigest, parseSignedNote, signedNote, verifierKey } from '../chain/checkpoint';
import { ChainError } from '../chain/errors';
import type { Checkpoint } from '../store/types';

/** Event name of a published checkpoint (file/stdout line envelope, OTLP log event name, webhook event). */
export const EVENT_MCPTRAIL_CHECKPOINT = 'mcptrail.checkpoint';

/** One line of a witness file (also the payload the sinks publish). */
export interface WitnessEntry {
  chain_id: string;
  seq: number;
  time: string;
  /** The C2SP signed note. */
  note: string;
  /** The signed-note verifier key (`name+hash+base64`), for readers that trust it out of band. */
  vkey: string;
}

export function witnessEntry(cp: Checkpoint, publicKey: KeyObject): WitnessEntry {
  return { chain_id: cp.chain_id, seq: cp.seq, time: cp.time, note: signedNote(cp, publicKey), vkey: verifierKey(cp.origin, publicKey) };
}

/** Checkpoints of a witness file (signatures taken from the notes, not checked here). */
export function readWitnessFile(file: string): Checkpoint[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_WITNESS_IO', `cannot read witness file '${file}': ${(err as Error).message}`, { cause: err });
  }
  const out: Checkpoint[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    if (raw.trim() === '') continue;
    let entry: Partial<WitnessEntry>;
    try {
      entry = JSON.parse(raw) as Partial<WitnessEntry>;
    } catch {
      throw new ChainError('MCPTRAIL_ERR_WITNESS_INVALID', `witness file '${file}' line ${line} is not JSON`);
    }
    const parsed = typeof entry.note === 'string' ? parseSignedNote(entry.note) : null;
    const sig = parsed?.signatures.find((s) => s.name === parsed.checkpoint.origin);
    if (!parsed || !sig) throw new ChainError('MCPTRAIL_ERR_WITNESS_INVALID', `witness file '${file}' line ${line} holds no checkpoint note`);
    out.push({ ...parsed.checkpoint, signature: sig.signature.toString('base64') });
  }
  return out;
}

export interface FileWitness {
  readonly file: string;
  /** Appends (fsync'd) when `cp` extends the newest witnessed checkpoint; throws WITNESS_INVALID when it does not. */
  publish(cp: Checkpoint, publicKey: KeyObject): void;
  /** Seq of the newest witnessed checkpoint, -1 when none. */
  lastSeq(): number;
}

export function openFileWitness(file: string): FileWitness {
  let last: Checkpoint | null = null;
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    if (fs.existsSync(file)) last = readWitnessFile(file).at(-1) ?? null;
  } catch (err) {
    if (err instanceof ChainError) throw err;
    throw new ChainError('MCPTRAIL_ERR_WITNESS_IO', `cannot open witness file '${file}': ${(err as Error).message}`, { cause: err });
  }
  return {
    file,
    lastSeq: () => last?.seq ?? -1,
    publish(cp, publicKey) {
      if (last && !(cp.seq >= last.seq && cp.prev === checkpointDigest(last))) {
        throw new ChainError(
          'MCPTRAIL_ERR_WITNESS_INVALID',
          `witness '${file}' refused checkpoint seq ${cp.seq}: it does not extend the witnessed checkpoint at seq ${last.seq} (${last.time}); ` +
            'the store was replaced, restored from an older copy or rewritten',
        );
      }
      const line = `${JSON.stringify(witnessEntry(cp, publicKey))}\n`;
      let fd: number | null = null;
      try {
        fd = fs.openSync(file, 'a', 0o644);
        fs.writeSync(fd, line);
        fs.fsyncSync(fd);
      } catch (err) {
        throw new ChainError('MCPTRAIL_ERR_WITNESS_IO', `cannot append to witness file '${file}': ${(err as Error).message}`, { cause: err });
      } finally {
        if (fd !== null) fs.closeSync(fd);
      }
      last = cp;
    },
  };
}
