/**
 * builtinPiiMask restates the `applies` of each built-in personal-data rule so the text redactor
 * asks once instead of calling seven rule objects. Bit i must equal BUILTIN_PII_RULES[i].applies on
 * every text, or a rule would run where it did not (or be skipped where it ran).
 */
import { describe, expect, it } from 'vitest';
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
