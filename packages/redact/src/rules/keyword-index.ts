/**
 * The prefilter: one Aho–Corasick pass over a string finds every rule keyword in it, so only the
 * rules whose keywords occur are run (gitleaks does the same). ASCII letters are folded to lower
 * case; any other code unit resets the automaton to its root, which keeps the transition table
 * dense and small (states × 64 columns) and the scan one table lookup per character.
 */

/**
 * Column of every UTF-16 code unit in the transition table; 0 = "not a keyword character" (every
 * state's column 0 leads back to the root). A full 64 K table: one lookup per character, no branch.
 */
export const COLUMN = new Uint8Array(65536);
{
  let col = 1;
  for (let c = 0x21; c < 0x7f; c++) {
    if (c >= 65 && c <= 90) continue; // upper case shares the lower-case column
    COLUMN[c] = col++;
  }
  for (let c = 65; c <= 90; c++) COLUMN[c] = COLUMN[c + 32]!;
  COLUMN[32] = col++; // space: keywords may hold one (`kind: secret` does not, `api key` may)
}
export const WIDTH = 96;
/** 1 for ASCII letters and digits (indexed by code unit, up to 'z'). */
const ALNUM = new Uint8Array(123);
for (let c = 48; c <= 57; c++) ALNUM[c] = 1;
for (let c = 65; c <= 90; c++) ALNUM[c] = 1;
for (let c = 97; c <= 122; c++) ALNUM[c] = 1;
/** Set in a transition's target when keywords end at that state (targets are multiples of WIDTH, so bit 0 is free). */
export const HAS_OUTPUT = 1;

export interface KeywordHit {
  /** Index of the keyword in the list given to the index. */
  readonly keyword: number;
  /** Offset just past the keyword in the scanned text. */
  readonly end: number;
}

export class KeywordIndex {
  /**
   * next[state * WIDTH + column] = target state * WIDTH, | HAS_OUTPUT when keywords end there (goto
   * with failure links already followed): the scan adds a column to it without a multiplication.
   */
  readonly next: Int32Array;
  /** Keywords ending at a state, including through failure links; null when none. */
  readonly outputs: (readonly number[] | null)[];
  /** OR of the flag bits of the flag words ending at a state (through failure links too). */
  readonly flagMasks: Int32Array;
  readonly keywords: readonly string[];
  /** Flag bits of the flag words the last scan() saw (all of them: a full hit buffer does not stop it). */
  flags = 0;

  /**
   * `flagWords` are found in the same pass but reported as bits (`flags`), not as hits: the text
   * redactor's trigger literals ride along with the provider keywords this way.
   */
  constructor(keywords: readonly string[], flagWords: readonly (readonly [word: string, bits: number])[] = []) {
    this.keywords = keywords;
    const gotoTable: Map<number, number>[] = [new Map()];
    const out: number[][] = [[]];
    const flagAt: number[] = [0];
    const insert = (kw: string): number => {
      let s = 0;
      for (let i = 0; i < kw.length; i++) {
        const c = kw.charCodeAt(i);
        const col = COLUMN[c]!;
        if (col === 0) throw new Error(`keyword '${kw}' holds a character the index cannot match`);
        let t = gotoTable[s]!.get(col);
        if (t === undefined) {
          t = gotoTable.length;
          gotoTable.push(new Map());
          out.push([]);
          flagAt.push(0);
          gotoTable[s]!.set(col, t);
        }
        s = t;
      }
      return s;
    };
    for (const [word, bits] of flagWords) {
      const at = insert(word);
      flagAt[at] = flagAt[at]! | bits;
    }
    keywords.forEach((kw, k) => {
      out[insert(kw)]!.push(k);
    });
    const n = gotoTable.length;
    const next = new Int32Array(n * WIDTH);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (const [col, t] of gotoTable[0]!) {
      next[col] = t;
      queue.push(t);
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      out[s] = out[s]!.concat(out[fail[s]!]!);
      flagAt[s] = flagAt[s]! | flagAt[fail[s]!]!;
      for (let col = 1; col < WIDTH; col++) {
        const t = gotoTable[s]!.get(col);
        if (t === undefined) next[s * WIDTH + col] = next[fail[s]! * WIDTH + col]!;
        else {
          fail[t] = next[fail[s]! * WIDTH + col]!;
          next[s * WIDTH + col] = t;
          queue.push(t);
        }
      }
    }
    const outputs = out.map((o) => (o.length === 0 ? null : o));
    for (let i = 0; i < next.length; i++) {
      const t = next[i]!;
      next[i] = t * WIDTH + (outputs[t] !== null || flagAt[t] !== 0 ? HAS_OUTPUT : 0);
    }
    this.next = next;
    this.outputs = outputs;
    this.flagMasks = Int32Array.from(flagAt);
  }

  /**
   * Every keyword occurrence in `text`, in order of where it ends, written to `out` as
   * (keyword, end) pairs, at most `out.length / 2` of them; returns the number of pairs.
   * Linear: one lookup per code unit plus one per hit.
   */
  scan(text: string, out: Int32Array): number {
    const { next, outputs, flagMasks } = this;
    const max = out.length;
    let s = 0;
    let n = 0;
    let flags = 0;
    for (let i = 0; i < text.length; i++) {
      s = next[(s & ~HAS_OUTPUT) + COLUMN[text.charCodeAt(i)]!]!;
      if ((s & HAS_OUTPUT) === 0) continue;
      const state = (s - HAS_OUTPUT) / WIDTH;
      flags |= flagMasks[state]!;
      const o = outputs[state] as readonly number[] | null;
      if (o === null || n >= max) continue;
      for (let j = 0; j < o.length && n < max; j++) {
        out[n++] = o[j]!;
        out[n++] = i + 1;
      }
    }
    this.flags = flags;
    return n >> 1;
  }

  /**
   * Does any keyword occur in the ASCII letters and digits of `text[0, limit)`, every other
   * character skipped (`pass_word` holds `password`)? The index of a key name's normalized form
   * (key-rules' splitKeyWords joined) without building it.
   */
  occursInAlnum(text: string, limit: number): boolean {
    const { next, outputs } = this;
    const n = Math.min(text.length, limit);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 122 || ALNUM[c] === 0) continue;
      s = next[(s & ~HAS_OUTPUT) + COLUMN[c]!]!;
      if ((s & HAS_OUTPUT) !== 0 && outputs[(s - HAS_OUTPUT) / WIDTH] !== null) return true;
    }
    return false;
  }

  /** Does any keyword occur in `text`? */
  test(text: string): boolean {
    const { next, outputs } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      s = next[(s & ~HAS_OUTPUT) + COLUMN[text.charCodeAt(i)]!]!;
      if ((s & HAS_OUTPUT) !== 0 && outputs[(s - HAS_OUTPUT) / WIDTH] !== null) return true;
    }
    return false;
  }
}
