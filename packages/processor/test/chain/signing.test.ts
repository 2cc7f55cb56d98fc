import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointSignatureValid, defaultSigningKeyPath, loadOrCreateSigningKey, publicKeyPathFor, toPublicKey } from '../../src/chain/signing';

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
    const cp = a.sign({ chain_id: 'main', seq: 5, hash: 'ab'.repeat(32), time: '2026-01-01T00:00:00.000Z' });
    expect(checkpointSignatureValid(cp, toPublicKey(pub))).toBe(true);
    expect(checkpointSignatureValid({ ...cp, seq: 6 }, toPublicKey(pub))).toBe(false);
    expect(checkpointSignatureValid({ ...cp, signature: 'not base64 !!' }, toPublicKey(pub))).toBe(false);
  });

  it('fails with a typed error on a file that is not an Ed25519 private key', () => {
    const bad = path.join(dir, 'bad.pem');
    fs.writeFileSync(bad, 'hello');
    expect(() => loadOrCreateSigningKey(bad)).toThrow(expect.objectContaining({ code: 'MCPTRAIL_ERR_SIGNING_KEY_INVALID' }));
    expect(fs.readFileSync(bad, 'utf8')).toBe('hello');
  });

  it('fails with a typed error when the key cannot be created', () => {
    expect(() => loadOrCreateSigningKey(path.join(dir, 'missing-dir', 'k.pem'))).toThrow(
      expect.objectContaining({ code: 'MCPTRAIL_ERR_SIGNING_KEY_IO', message: expect.stringContaining('missing-dir') }),
    );
  });
});
