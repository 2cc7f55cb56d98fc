/**
 * The one-pass feature scan (value-rules' textFeatures) must compute exactly what the two-pass
 * version it replaced computed (test/fixtures/reference-features.ts), field by field: every rule
 * gate reads these fields, so equal features mean equal gate decisions. Checked on the generated
 * corpus and the look-alikes in every wrapping, the benchmark's strings, and random strings over
 * the characters the run counters treat differently, with a control proving a one-field
 * difference is caught.
 */
import { describe, expect, it } from 'vitest';
import { ProviderScanner } from '../src/rules/provider-scan';
import { PROVIDER_RULES } from '../src/rules/provider-rules';
import type { KeywordIndex } from '../src/rules/keyword-index';
import { Features, type TextFeatures, textFeatures, textFeaturesAndKeywords } from '../src/value-rules';
import { generatedCorpus, lookAlikeCorpus } from './fixtures/generated-corpus';
import { referenceTextFeatures } from './fixtures/reference-features';
import { prng } from './fixtures/sampling';

const FIELDS = Object.keys(new Features()) as (keyof TextFeatures)[];

function diff(a: TextFeatures, b: TextFeatures): string | null {
  for (const k of FIELDS) if (a[k] !== b[k]) return `${k}: ${String(a[k])} ≠ ${String(b[k])}`;
  return null;
}

/** The provider scanner's own keyword index (provider keywords, trigger literals, id context words). */
const INDEX = (new ProviderScanner(PROVIDER_RULES, new Set()) as unknown as { index: KeywordIndex }).index;
const fusedHits = new Int32Array(2 * 4096);
const plainHits = new Int32Array(2 * 4096);

/** Features and keyword pass in one (textFeaturesAndKeywords) against the reference features and KeywordIndex.scan. */
function fusedDiff(text: string, fused = textFeaturesAndKeywords): string | null {
  const f = new Features();
  const n = fused(text, f, INDEX, fusedHits);
  const m = INDEX.scan(text, plainHits);
  if (n !== m) return `hits: ${n} ≠ ${m}`;
  for (let i = 0; i < 2 * n; i++) if (fusedHits[i] !== plainHits[i]) return `hit slot ${i}: ${fusedHits[i]} ≠ ${plainHits[i]}`;
  if (f.keywordBits !== INDEX.flags) return `keyword bits: ${f.keywordBits} ≠ ${INDEX.flags}`;
  f.keywordBits = -1;
  return diff(f, referenceTextFeatures(text));
}

function same(text: string): void {
  const d = diff(textFeatures(text), referenceTextFeatures(text)) ?? fusedDiff(text);
  if (d !== null) expect.fail(`features differ on ${JSON.stringify(text)}: ${d}`);
}

const WRAPS: readonly ((s: string) => string)[] = [
  (s) => s,
  (s) => `note: ${s} (end)`,
  (s) => `AB ${s}12`,
  (s) => `{"token":"${s}"}`,
  (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))),
];

describe('one-pass features = two-pass reference', () => {
  it('compares every field the gates read', () => {
    expect(FIELDS.length).toBeGreaterThanOrEqual(24);
  });

  it('on the generated corpus and the look-alikes in every wrapping', () => {
    for (const c of generatedCorpus()) for (const w of WRAPS) same(w(c.text));
    for (const l of lookAlikeCorpus(25)) for (const w of WRAPS) same(w(l.text));
  });

  it('on the benchmark inputs (values, key names, adversarial strings cut to 2 KB)', async () => {
    const inputs = await import('../../../bench/lib/redaction-inputs.mjs');
    for (const v of [inputs.args200(), inputs.args1k(), inputs.args10k()]) {
      JSON.stringify(v, (k, x) => {
        same(k);
        if (typeof x === 'string') same(x);
        return x;
      });
    }
    for (const s of Object.values(inputs.adversarialStrings()) as string[]) {
      same(s.slice(0, 2048));
      same(s.slice(1, 2049));
    }
  });

  it('on 200,000 random strings of digits, capitals, lower case, separators and Unicode forms', () => {
    const rnd = prng(Number(process.env.SEED ?? 71));
    const alphabet = ['ghp_', 'xoxb-', 'Bearer ', 'basic', 'eyJ', 'pass', 'pin', 'PESEL', 'secret', 'sig=', '://', 'SG.', 'glpat-', 'npm_', '0', '1', '7', '9', 'A', 'B', 'Z', 'T', 'a', 'k', 'z', ' ', ' ', '-', '--', ' -', '.', '/', '(', ')', '+', '@', ':', '=', '%', '_', '\t', '\n', ',', "'", '４', '٣', '\u00a0', 'é', '\u2013', '12', '123', '1234', '123456', 'AB', 'DE89'];
    for (let n = 0; n < 200_000; n++) {
      let text = '';
      const len = Math.floor(rnd() * 24);
      for (let k = 0; k < len; k++) text += alphabet[Math.floor(rnd() * alphabet.length)];
      same(text);
    }
  });

  it('control: a keyword pass that drops its last hit, or loses a flag bit, is caught', () => {
    const text = 'token ghp_16C7e42F292c6912E7710c838347Ae178B4a and xoxb-123, pass';
    expect(fusedDiff(text)).toBeNull();
    const dropsLast: typeof textFeaturesAndKeywords = (t, f, i, h) => Math.max(0, textFeaturesAndKeywords(t, f, i, h) - 1);
    expect(fusedDiff(text, dropsLast)).toMatch(/^hits/);
    const losesBit: typeof textFeaturesAndKeywords = (t, f, i, h) => {
      const n = textFeaturesAndKeywords(t, f, i, h);
      f.keywordBits &= ~1;
      return n;
    };
    expect(fusedDiff('eyJhbGciOi', losesBit)).toMatch(/^keyword bits/);
  });

  it('control: a feature pass that is off in one field on one shape is caught', () => {
    // The reference with an IBAN start missed after a space (`x AB12`): the comparison must see it.
    const broken = (t: string) => {
      const f = referenceTextFeatures(t) as Features;
      if (/ [A-Z]{2}\d\d/.test(t)) f.ibanStart = false;
      return f;
    };
    const rnd = prng(3);
    let caught = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      for (let k = 0; k < 10; k++) text += ['x', ' ', 'A', 'B', '1', '2', '-'][Math.floor(rnd() * 7)];
      if (diff(textFeatures(text), broken(text)) !== null) caught++;
    }
    expect(caught).toBeGreaterThan(10);
  });
});
