/**
 * builtinPiiMask restates the `applies` of each built-in personal-data rule so the text redactor
 * asks once instead of calling seven rule objects. Bit i must equal BUILTIN_PII_RULES[i].applies on
 * every text, or a rule would run where it did not (or be skipped where it ran). The national-id row
 * prefilter, as bit sets (candidateRows), must let through exactly the rows rowMayMatch does.
 */
import { describe, expect, it } from 'vitest';
import { type IdGate, NATIONAL_ID_RULES, NO_ID_GATE, candidateRows, rowMayMatch } from '../src/rules/national-ids';
import { BUILTIN_PII_RULES, builtinPiiMask, textFeatures } from '../src/value-rules';
import { generatedCorpus, lookAlikeCorpus } from './fixtures/generated-corpus';
import { prng } from './fixtures/sampling';

function maskByRules(text: string): number {
  const f = textFeatures(text);
  let m = 0;
  BUILTIN_PII_RULES.forEach((r, i) => {
    if (r.applies(f, text)) m |= 1 << i;
  });
  return m;
}

function texts(): string[] {
  const out: string[] = [];
  for (const c of generatedCorpus()) out.push(c.text, `note: ${c.text} (end)`, `${c.text}=`);
  for (const l of lookAlikeCorpus(25)) out.push(l.text);
  const rnd = prng(Number(process.env.SEED ?? 83));
  const pieces = ['4111 1111 1111 1111', '123-45-6789', 'DE89 3704', 'de89', '+44 20 7946 0958', 'a@b.co', '@', 'ABCDE', 'XYZ', '1234', '12', ' ', '-', '=', 'QUFB', 'x', 'Zm9v'];
  for (let n = 0; n < 30_000; n++) {
    let t = '';
    const k = 1 + Math.floor(rnd() * 8);
    for (let j = 0; j < k; j++) t += pieces[Math.floor(rnd() * pieces.length)];
    out.push(t);
  }
  return out;
}

describe('builtinPiiMask', () => {
  it('has one bit per built-in personal-data rule', () => {
    expect(BUILTIN_PII_RULES.length).toBe(7);
  });

  it('equals the rules’ own applies on the corpus, the look-alikes and 30,000 random strings', () => {
    let set = 0;
    for (const t of texts()) {
      const expected = maskByRules(t);
      set |= expected;
      const got = builtinPiiMask(textFeatures(t), t);
      if (got !== expected) expect.fail(`mask ${got.toString(2)} ≠ applies ${expected.toString(2)} on ${JSON.stringify(t)}`);
    }
    expect(set).toBe(0b1111111); // every rule applied somewhere: each bit was compared both ways
  });

  it('control: a mask with one condition loosened is caught', () => {
    const loose = (t: string) => builtinPiiMask(textFeatures(t), t) | (textFeatures(t).phoneRun >= 7 ? 32 : 0);
    expect(texts().filter((t) => loose(t) !== maskByRules(t)).length).toBeGreaterThan(0);
  });
});

describe('national-id candidate rows (rowMayMatch as bit sets)', () => {
  const viaRows = (g: IdGate) => NATIONAL_ID_RULES.map((r) => rowMayMatch(r, g));
  const viaMask = (g: IdGate, rows = candidateRows(g)) => NATIONAL_ID_RULES.map((_, r) => (rows[r >> 5]! & (1 << (r & 31))) !== 0);

  it('equals rowMayMatch on 50,000 random gates, the features of the corpus and the exhaustive gate', () => {
    const rnd = prng(Number(process.env.SEED ?? 97));
    const gates: IdGate[] = [NO_ID_GATE];
    for (let n = 0; n < 50_000; n++) {
      const v = () => Math.floor(rnd() * 22);
      gates.push({ run: v(), upper: v(), pure: v(), groups: Math.floor(rnd() * 7), digits: v(), shape: Math.floor(rnd() * 64) });
    }
    for (const t of texts()) {
      const f = textFeatures(t);
      gates.push({ run: Math.max(f.cardRun, f.idRun), upper: f.upper, pure: f.pureRun, groups: f.idGroups, digits: f.digits, shape: f.idShape });
    }
    let passed = 0;
    for (const g of gates) {
      const a = viaMask(g);
      const b = viaRows(g);
      if (a.some((x, i) => x !== b[i])) expect.fail(`rows differ for ${JSON.stringify(g)}`);
      passed += a.filter(Boolean).length;
    }
    expect(passed).toBeGreaterThan(gates.length); // rows were let through, not only refused
  });

  it('control: a bit set missing one row is caught', () => {
    const g = NO_ID_GATE;
    const rows = candidateRows(g).slice();
    rows[0] &= ~1;
    expect(viaMask(g, rows)).not.toEqual(viaRows(g));
  });
});
