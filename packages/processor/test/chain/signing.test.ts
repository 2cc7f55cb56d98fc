import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCheckpoint, checkpointSignatureValid } from '../../src/chain/checkpoint';
import { GENESIS_HASH } from '../../src/chain/hash';
import { createCommandSigner, defaultSigningKeyPath, loadOrCreateSigningKey, publicKeyPathFor, toPublicKey } from '../../src/chain/signing';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-key-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateSigningKey', () => {
  it('creates an Ed25519 key (0600) beside the store with its public half, then reloads the same key', () => {
    const keyPath = defaultSigningKeyPath(path.join(dir, 'trail.db'));
    expect(keyPath).toBe(path.join(dir, 'trail.db.ed25519.pem'));
    const a = loadOrCreateSigningKey(keyPath);
    expect(fs.statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyPath, 'utf8')).toContain('PRIVATE KEY');
    const pub = fs.readFileSync(publicKeyPathFor(keyPath), 'utf8');
    expect(publicKeyPathFor(keyPath)).toBe(path.join(dir, 'trail.db.ed25519.pub.pem'));
    expect(pub).toContain('PUBLIC KEY');
    expect(pub).not.toContain('PRIVATE');
    const b = loadOrCreateSigningKey(keyPath);
    expect(b.keyId).toBe(a.keyId);
    const cp = buildCheckpoint(
      { head: { seq: 1, hash: 'ab'.repeat(32) }, last: null, leaves: ['ab'.repeat(32)], alerts: { seq: 0, hash: GENESIS_HASH } },
      { chainId: 'main', origin: 'mcptrail/main', time: '2026-01-01T00:00:00.000Z', signer: a },
    );
    expect(checkpointSignatureValid(cp, toPublicKey(pub))).toBe(true);
    expect(checkpointSignatureValid({ ...cp, seq: 6 }, toPublicKey(pub))).toBe(false);
    expect(checkpointSignatureValid({ ...cp, prev: 'cd'.repeat(32) }, toPublicKey(pub))).toBe(false);
    expect(checkpointSignatureValid({ ...cp, alerts_seq: 1 }, toPublicKey(pub))).toBe(false);
    expect(checkpointSignatureValid({ ...cp, signature: 'not base64 !!' }, toPublicKey(pub))).toBe(false);
  });

  it('fails with a typed error on a file that is not an Ed25519 private key', () => {
    const bad = path.join(dir, 'bad.pem');
    fs.writeFileSync(bad, 'hello', { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(bad)).toThrow(expect.objectContaining({ code: 'MCPTRAIL_ERR_SIGNING_KEY_INVALID' }));
    expect(fs.readFileSync(bad, 'utf8')).toBe('hello');
  });

  it('fails with a typed error when the key cannot be created', () => {
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    expect(() => loadOrCreateSigningKey(path.join(dir, 'a-file', 'k.pem'))).toThrow(
      expect.objectContaining({ code: 'MCPTRAIL_ERR_SIGNING_KEY_IO', message: expect.stringContaining('a-file') }),
    );
  });

  it('creates the key directory 0700 when it is missing', () => {
    const keyPath = path.join(dir, 'keys', 'nested', 'k.pem');
    loadOrCreateSigningKey(keyPath);
    expect(fs.statSync(path.dirname(keyPath)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(keyPath).mode & 0o777).toBe(0o600);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a key of mode 0%o, naming the path and the mode', (mode) => {
    const keyPath = path.join(dir, 'k.pem');
    loadOrCreateSigningKey(keyPath);
    fs.chmodSync(keyPath, mode);
    let err: unknown;
    try {
      loadOrCreateSigningKey(keyPath);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'MCPTRAIL_ERR_SIGNING_KEY_MODE' });
    expect((err as Error).message).toContain(keyPath);
    expect((err as Error).message).toContain(`0${mode.toString(8)}`);
    // Control: the same key at 0600 loads.
    fs.chmodSync(keyPath, 0o600);
    expect(loadOrCreateSigningKey(keyPath).keyId).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('createCommandSigner', () => {
  it('signs through an external command (the key stays in that process) and checks each signature', () => {
    const keyPath = path.join(dir, 'external.pem');
    const local = loadOrCreateSigningKey(keyPath);
    // The "KMS": a node one-liner holding the private key, reading the message on stdin.
    const script = `const c=require('crypto');const k=c.createPrivateKey(require('fs').readFileSync(${JSON.stringify(keyPath)}));` +
      `let b=[];process.stdin.on('data',d=>b.push(d)).on('end',()=>process.stdout.write(c.sign(null,Buffer.concat(b),k).toString('base64')))`;
    const signer = createCommandSigner([process.execPath, '-e', script], publicKeyPathFor(keyPath));
    expect(signer.keyId).toBe(local.keyId);
    const msg = Buffer.from('hello\n');
    expect(signer.signBytes(msg).equals(local.signBytes(msg))).toBe(true);
    // A command that prints a signature of another key (or garbage) is refused.
    const liar = createCommandSigner([process.execPath, '-e', "process.stdout.write(Buffer.alloc(64).toString('base64'))"], publicKeyPathFor(keyPath));
    expect(() => liar.signBytes(msg)).toThrow(expect.objectContaining({ code: 'MCPTRAIL_ERR_SIGNER_COMMAND' }));
  });
});
