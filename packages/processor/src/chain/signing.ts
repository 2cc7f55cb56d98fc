import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ChainError } from './errors';

/** Signs checkpoint notes. The private key never leaves this object (or the external signer). */
export interface CheckpointSigner {
  /** Fingerprint of the public key (first 16 hex of SHA-256 of its DER SPKI). */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** Raw 64-byte Ed25519 signature over `message`. */
  signBytes(message: Buffer): Buffer;
}

export function publicKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** `x.ed25519.pem` → `x.ed25519.pub.pem`: verifiers need only this file. */
export function publicKeyPathFor(privateKeyPath: string): string {
  return privateKeyPath.endsWith('.pem') ? `${privateKeyPath.slice(0, -4)}.pub.pem` : `${privateKeyPath}.pub.pem`;
}

/**
 * Test and library convenience: `<db>.ed25519.pem`. The processor never defaults to it
 * (a key beside the data signs whatever someone who can write the data wants); see
 * `signingKeyPathOf` in replica/open-trail.ts for the processor's default.
 */
export function defaultSigningKeyPath(dbPath: string): string {
  return `${dbPath}.ed25519.pem`;
}

export function createSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_INVALID', `signing key is ${privateKey.asymmetricKeyType ?? privateKey.type}, expected ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: publicKeyId(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signBytes: (message) => sign(null, message, privateKey),
  };
}

/**
 * An external signer (KMS, HSM, `ssh-keygen -Y`, a vault agent): `argv[0]` is run with the
 * rest as arguments, gets the message on stdin and prints the base64 Ed25519 signature.
 * The private key never touches this process; `publicKeyFile` says which key it must be
 * (each signature is checked against it before it is stored).
 */
export function createCommandSigner(argv: readonly string[], publicKeyFile: string): CheckpointSigner {
  if (argv.length === 0) throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_INVALID', 'trail.signer_command is empty');
  const publicKey = toPublicKey(publicKeyFile);
  return {
    keyId: publicKeyId(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signBytes(message) {
      let out: string;
      try {
        out = execFileSync(argv[0]!, argv.slice(1), { input: message, timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
      } catch (err) {
        throw new ChainError('MCPTRAIL_ERR_SIGNER_COMMAND', `signer command '${argv[0]}' failed: ${(err as Error).message}`, { cause: err });
      }
      const signature = Buffer.from(out.trim(), 'base64');
      if (signature.length !== 64 || !verify(null, message, publicKey, signature)) {
        throw new ChainError('MCPTRAIL_ERR_SIGNER_COMMAND', `signer command '${argv[0]}' did not print a valid base64 Ed25519 signature for ${publicKeyFile}`);
      }
      return signature;
    },
  };
}

/** Group or other may read or write: refused for secrets (ssh does the same). */
export function assertPrivateFile(file: string, what: string): void {
  let mode: number;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot stat ${what} '${file}': ${(err as Error).message}`, { cause: err });
  }
  if (mode & 0o077) {
    throw new ChainError(
      'MCPTRAIL_ERR_SIGNING_KEY_MODE',
      `${what} '${file}' has mode 0${mode.toString(8)}: it is accessible to group or others; run \`chmod 600 ${file}\``,
    );
  }
}

/**
 * Loads the Ed25519 key at `file`, or creates it (mode 0600, its directory 0700) on first
 * start, and keeps the public half beside it (`.pub.pem`) so `mcptrail verify` needs no
 * secret. A key that group or others can access is refused.
 */
export function loadOrCreateSigningKey(file: string): CheckpointSigner {
  let pem: string | null = null;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot read signing key '${file}': ${(err as Error).message}`, { cause: err });
    }
  }
  if (pem === null) {
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
      // 'wx': never overwrite a key another process created a moment ago.
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_IO', `cannot create signing key '${file}': ${(err as Error).message}`, { cause: err });
      }
      pem = fs.readFileSync(file, 'utf8');
    }
  }
  assertPrivateFile(file, 'signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ChainError('MCPTRAIL_ERR_SIGNING_KEY_INVALID', `signing key '${file}' is not a PEM private key`, { cause: err });
  }
  const signer = createSigner(key);
  const pubPath = publicKeyPathFor(file);
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

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
}
