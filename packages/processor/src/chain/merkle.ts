/**
 * RFC 6962 / RFC 9162 (section 2.1) Merkle tree over the records of one chain. Leaf i is
 * record seq i+1; its leaf data is the 32 bytes of the record's chain hash (which commits
 * to the record's canonical body and its predecessor), so the tree is built from the hash
 * column alone:
 *   leaf hash  = SHA-256(0x00 || record hash)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty root = SHA-256("")
 */
import crypto from 'node:crypto';

/**
 * `crypto.hash` (Node >= 20.12): one call, no Hash object per node. Its output as a latin1
 * string (the 32 digest bytes as one-byte characters) costs a third of a Buffer output, whose
 * allocation dominates a 33- or 65-byte hash: the walk keeps node digests in that form.
 */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: Buffer, encoding: 'latin1') => string }).hash;
const digestOf = (data: Buffer): string => (oneShot ? oneShot('sha256', data, 'latin1') : crypto.createHash('sha256').update(data).digest().toString('latin1'));
// Scratch inputs, reused: hashing copies them, so nothing escapes.
const leafInput = Buffer.alloc(33);
const nodeInput = Buffer.alloc(65, 0);
nodeInput[0] = 1;

/** Buffer#latin1Write where it exists (Node 20-24): write()'s encoding switch is a third of a 32-byte write. */
const latin1Write = (Buffer.prototype as unknown as { latin1Write?: (this: Buffer, s: string, offset: number, length: number) => number }).latin1Write;
export function writeLatin1(buf: Buffer, text: string, offset: number): void {
  if (latin1Write) latin1Write.call(buf, text, offset, text.length);
  else buf.write(text, offset, text.length, 'latin1');
}

/** A 32-byte digest as a latin1 string (see digestOf). */
export type Digest = string;

/** The leaf digest of a record: SHA-256(0x00 || the 32 bytes of its hex chain hash). */
export function leafDigest(recordHashHex: string): Digest {
  leafInput.write(recordHashHex, 1, 32, 'hex');
  return digestOf(leafInput);
}

export function nodeDigest(left: Digest, right: Digest): Digest {
  writeLatin1(nodeInput, left, 1);
  writeLatin1(nodeInput, right, 33);
  return digestOf(nodeInput);
}

export function leafHash(recordHashHex: string): Buffer {
  return Buffer.from(leafDigest(recordHashHex), 'latin1');
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 33);
  return Buffer.from(digestOf(nodeInput), 'latin1');
}

export const EMPTY_ROOT = crypto.createHash('sha256').digest();

/** Largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The compact range [0, size): the roots of the maximal perfect subtrees, left to right
 * (largest first). Appending is amortised O(1) hashes; the root is O(log n). Stored with each
 * checkpoint so the tree continues, and proofs still work, after retention purges old leaves.
 */
export class Frontier {
  private constructor(
    private size_: number,
    private readonly nodes: Digest[],
  ) {}

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** From a stored frontier; throws when the node count does not match the size. */
  static from(size: number, hex: readonly string[]): Frontier {
    const expected = popcount(size);
    if (hex.length !== expected || !hex.every((h) => /^[0-9a-f]{64}$/.test(h))) {
      throw new TypeError(`a Merkle frontier of size ${size} has ${expected} node(s) of 64 hex digits, got ${hex.length}`);
    }
    return new Frontier(size, hex.map((h) => Buffer.from(h, 'hex').toString('latin1')));
  }

  get size(): number {
    return this.size_;
  }

  clone(): Frontier {
    return new Frontier(this.size_, [...this.nodes]);
  }

  push(leaf: Buffer): void {
    this.pushDigest(leaf.toString('latin1'));
  }

  /** Appends the leaf of the record whose chain hash is `recordHashHex`. */
  pushRecord(recordHashHex: string): void {
    this.pushDigest(leafDigest(recordHashHex));
  }

  private pushDigest(leaf: Digest): void {
    let node = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
    for (let s = this.size_; s & 1; s >>= 1) node = nodeDigest(this.nodes.pop()!, node);
    this.nodes.push(node);
    this.size_++;
  }

  root(): Buffer {
    return Buffer.from(this.rootDigest(), 'latin1');
  }

  /** The root as 64 hex digits (what checkpoints store). */
  rootHex(): string {
    return Buffer.from(this.rootDigest(), 'latin1').toString('hex');
  }

  private rootDigest(): Digest {
    if (this.nodes.length === 0) return EMPTY_ROOT.toString('latin1');
    let root = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) root = nodeDigest(this.nodes[i]!, root);
    return root;
  }

  /** The perfect subtrees as [start, end) ranges with their hashes. */
  ranges(): Array<{ start: number; end: number; hash: Buffer }> {
    const out: Array<{ start: number; end: number; hash: Buffer }> = [];
    let start = 0;
    let i = 0;
    for (let bit = 2 ** Math.floor(Math.log2(Math.max(1, this.size_))); bit >= 1; bit /= 2) {
      if (Math.floor(this.size_ / bit) % 2 === 1) {
        out.push({ start, end: start + bit, hash: Buffer.from(this.nodes[i++]!, 'latin1') });
        start += bit;
      }
    }
    return out;
  }

  toHex(): string[] {
    return this.nodes.map((n) => Buffer.from(n, 'latin1').toString('hex'));
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) c += v % 2;
  return c;
}

/**
 * A tree whose leaves are known from `offset` on; the subtrees before it are known only
 * through the frontier at `offset` (retention purged those leaves). Every proof RFC 9162
 * defines for a size >= offset and a leaf >= offset needs only nodes that exist here.
 */
export class MerkleTree {
  private readonly known = new Map<string, Buffer>();

  constructor(
    private readonly offset: number,
    private readonly leaves: readonly Buffer[],
    anchor: Frontier | null,
  ) {
    if (anchor && anchor.size !== offset) throw new TypeError(`anchor frontier has size ${anchor.size}, leaves start at ${offset}`);
    if (!anchor && offset !== 0) throw new TypeError('leaves that do not start at 0 need the frontier before them');
    if (anchor) for (const r of anchor.ranges()) this.known.set(`${r.start}:${r.end}`, r.hash);
  }

  get size(): number {
    return this.offset + this.leaves.length;
  }

  /** MTH(D[start:end]). */
  hash(start: number, end: number): Buffer {
    if (end - start === 0) return EMPTY_ROOT;
    const k = `${start}:${end}`;
    const known = this.known.get(k);
    if (known) return known;
    if (end - start === 1) {
      if (start < this.offset) throw new RangeError(`leaf ${start} was purged by retention`);
      return this.leaves[start - this.offset]!;
    }
    const split = start + splitPoint(end - start);
    const out = nodeHash(this.hash(start, split), this.hash(split, end));
    // Proofs and roots of one tree share their big subtrees: keep those.
    if (end - start >= 64) this.known.set(k, out);
    return out;
  }

  root(size = this.size): Buffer {
    return this.hash(0, size);
  }

  /** RFC 9162 2.1.3.1: PATH(m, D[0:n]), leaf index m. */
  inclusionProof(index: number, size = this.size): Buffer[] {
    if (!(index >= 0 && index < size && size <= this.size)) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
    const path = (m: number, start: number, end: number): Buffer[] => {
      const n = end - start;
      if (n === 1) return [];
      const k = splitPoint(n);
      return m < k ? [...path(m, start, start + k), this.hash(start + k, end)] : [...path(m - k, start + k, end), this.hash(start, start + k)];
    };
    return path(index, 0, size);
  }

  /** RFC 9162 2.1.4.1: PROOF(m, D[0:n]). */
  consistencyProof(m: number, n = this.size): Buffer[] {
    if (!(m >= 0 && m <= n && n <= this.size)) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
    if (m === 0 || m === n) return [];
    const subproof = (mm: number, start: number, end: number, complete: boolean): Buffer[] => {
      const size = end - start;
      if (mm === size) return complete ? [] : [this.hash(start, end)];
      const k = splitPoint(size);
      return mm <= k
        ? [...subproof(mm, start, start + k, complete), this.hash(start + k, end)]
        : [...subproof(mm - k, start + k, end, false), this.hash(start, start + k)];
    };
    return subproof(m, 0, n, true);
  }
}
