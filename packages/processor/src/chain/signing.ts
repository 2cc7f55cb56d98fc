import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import { canonicalJson } from '@mcptrail/conventions';
import { ChainError } from './errors';
import type { Checkpoint } from '../store/types';

/** Signs checkpoints. The private key never leaves this object. */
export interface CheckpointSigner {
  /** Fingerprint of the public key (first 16 hex of SHA-256 of its DER SPKI). */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  sign(checkpoint: Omit<Checkpoint, 'signature' | 'key_id'>): Checkpoint;
}

/** The exact bytes a checkpoint signature covers. */
export function checkpointPayload(cp: Pick<Checkpoint, 'chain_id' | 'seq' | 'hash' | 'time'>): Buffer {
  return Buffer.from(canonicalJson({ chain_id: cp.chain_id, seq: cp.seq, hash: cp.hash, time: cp.time }));
}

export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** `<db>.ed25519.pem`: where the signing key lives by default, beside the store. */
export function defaultSigningKeyPath(dbPath: string): string {
  return `${dbPath}.ed25519.pem`;
}

/** `x.ed25519.pem` → `x.ed25519.pub.pem`: verifiers need only this file. */
export function publicKeyPathFor(privateKeyPath: string): string {
  return privateKeyPath.endsWith('.pem') ? `${privateKeyPath.slice(0, -4)}.pub.pem` : `${privateKeyPath}.pub.pem`;
}

export function createSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_INVALID', `signing key is ${privateKey.asymmetricKeyType ?? privateKey.type}, expected ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = publicKeyId(publicKey);
  return {
    keyId,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign(cp) {
      const signature = sign(null, checkpointPayload(cp), privateKey).toString('base64');
      return { chain_id: cp.chain_id, seq: cp.seq, hash: cp.hash, time: cp.time, signature, key_id: keyId };
    },
  };
}

/**
 * Loads the Ed25519 key at `path`, or creates it (mode 0600) on first start, and keeps
 * the public half beside it (`.pub.pem`) so `mcptrail verify` needs no secret.
 */
export function loadOrCreateSigningKey(path: string): CheckpointSigner {
  let pem: string | null = null;
  try {
    pem = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot read signing key '${path}': ${(err as Error).message}`, { cause: err });
    }
  }
  if (pem === null) {
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      // 'wx': never overwrite a key another process created a moment ago.
      fs.writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot create signing key '${path}': ${(err as Error).message}`, { cause: err });
      }
      pem = fs.readFileSync(path, 'utf8');
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_INVALID', `signing key '${path}' is not a PEM private key`, { cause: err });
  }
  const signer = createSigner(key);
  const pubPath = publicKeyPathFor(path);
  try {
    if (!fs.existsSync(pubPath) || fs.readFileSync(pubPath, 'utf8') !== signer.publicKeyPem) {
      fs.writeFileSync(pubPath, signer.publicKeyPem, { mode: 0o644 });
    }
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot write public key '${pubPath}': ${(err as Error).message}`, { cause: err });
  }
  return signer;
}

/** Accepts a KeyObject, PEM text, or a path to a PEM file (public or private; only the public half is used). */
export function toPublicKey(key: KeyObject | string): KeyObject {
  try {
    let out: KeyObject;
    if (typeof key !== 'string') out = key.type === 'private' ? createPublicKey(key) : key;
    else {
      const text = key.includes('-----BEGIN') ? key : fs.readFileSync(key, 'utf8');
      out = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
    }
    if (out.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${out.asymmetricKeyType}`);
    return out;
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_VERIFY_KEY_INVALID', `verification key is not a usable Ed25519 public key: ${(err as Error).message}`, { cause: err });
  }
}

export function checkpointSignatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(cp), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}
