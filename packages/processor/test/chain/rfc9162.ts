/**
 * An independent verifier, written for the tests from RFC 9162 section 2.1.3.2 (inclusion)
 * and 2.1.4.2 (consistency) and the C2SP signed-note spec; it shares no code with src/.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

const sha = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);
const hex = (h: string) => Buffer.from(h, 'hex');

export const leafOf = (recordHashHex: string) => sha(Buffer.from([0]), hex(recordHashHex));

export function verifyInclusion(leafIndex: number, treeSize: number, leafHashHex: string, path: string[], rootHex: string): boolean {
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = hex(leafHashHex);
  for (const p of path.map(hex)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(hex(rootHex));
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

export function verifyConsistency(first: number, second: number, firstHex: string, secondHex: string, path: string[]): boolean {
  if (first > second) return false;
  if (first === second) return path.length === 0 && firstHex === secondHex;
  if (first === 0) return path.length === 0;
  let proof = path.map(hex);
  if (isPow2(first)) proof = [hex(firstHex), ...proof];
  if (proof.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0]!;
  let sr = proof[0]!;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(hex(firstHex)) && sr.equals(hex(secondHex)) && sn === 0;
}

/**
 * A C2SP tlog-checkpoint signed note: text up to the blank line, then `— name base64(keyhash4 || sig)`.
 * Returns the tree size and root when the Ed25519 signature by `publicKeyPem` under `name` checks out.
 */
export function openCheckpoint(note: string, publicKeyPem: string): { origin: string; size: number; rootHex: string } | null {
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const [origin, size, root] = text.split('\n');
  const key = createPublicKey(publicKeyPem);
  const raw = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
  const keyHash = sha(Buffer.from(origin!), Buffer.from([0x0a, 0x01]), raw).subarray(0, 4);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== origin) continue;
    const sig = Buffer.from(m[2]!, 'base64');
    if (sig.subarray(0, 4).equals(keyHash) && verify(null, Buffer.from(text), key, sig.subarray(4))) {
      return { origin: origin!, size: Number(size), rootHex: Buffer.from(root!, 'base64').toString('hex') };
    }
  }
  return null;
}

/** Every proof hash, one at a time, with one bit flipped. */
export function* flipped(hashes: string[]): Iterable<string[]> {
  for (let i = 0; i < hashes.length; i++) {
    const b = hex(hashes[i]!);
    b[b.length - 1] = b[b.length - 1]! ^ 1;
    yield hashes.map((h, j) => (j === i ? b.toString('hex') : h));
  }
}
