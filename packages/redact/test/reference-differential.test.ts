/**
 * Differential test of the family gates: the production redactor and the reference redactor (every
 * rule family on every string, no gate, no plain-text fast path) must give the same output on the
 * generated corpus in every wrapping, the look-alikes, the benchmark's inputs and random strings
 * built from the literals and digit shapes the gates key on. A gate that skipped a family which
 * would have found something shows up as a difference.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, createReferenceRedactor } from '../src/redactor';
import { generatedCorpus, lookAlikeCorpus } from './fixtures/generated-corpus';
import { prng } from './fixtures/sampling';

const options = { hmacKey: 'differential-key-0123456789' };
const fast = createRedactor(options);
const reference = createReferenceRedactor(options);

const WRAPS: readonly ((s: string) => string)[] = [
  (s) => s,
  (s) => `note: ${s} (end)`,
  (s) => `password=${s}`,
  (s) => `{"token":"${s}"}`,
  (s) => `https://example.com/cb?q=${encodeURIComponent(s)}&page=2`,
  (s) => `Authorization: Bearer ${s}`,
  (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))), // full-width digits
];

function same(text: string): void {
  const a = fast.redactText(text);
  const b = reference.redactText(text);
  if (a.value !== b.value || a.count !== b.count) expect.fail(`differs on ${JSON.stringify(text)}:\n fast ${a.value}\n  ref ${b.value}`);
}

describe('gated redactor = reference redactor', () => {
  it('on the generated corpus in every wrapping', () => {
    for (const c of generatedCorpus()) for (const wrap of WRAPS) same(wrap(c.text));
  });

  it('on the look-alike corpus', () => {
    for (const l of lookAlikeCorpus(25)) for (const wrap of WRAPS) same(wrap(l.text));
  });

  it('on the benchmark inputs (values and key names)', async () => {
    const inputs = await import('../../../bench/lib/redaction-inputs.mjs');
    for (const make of [inputs.args200, inputs.args1k, inputs.args10k]) {
      const v = make();
      expect(JSON.stringify(fast.redact(v))).toBe(JSON.stringify(reference.redact(v)));
      const strings: string[] = [];
      JSON.stringify(v, (k, x) => {
        strings.push(k);
        if (typeof x === 'string') strings.push(x);
        return x;
      });
      for (const s of strings) same(s);
    }
  });

  it('on random strings of trigger literals, keywords, digit shapes and separators', () => {
    const rnd = prng(Number(process.env.SEED ?? 51));
    const pieces = [
      'Bearer ', 'basic ', 'eyJ', 'secret', 'Secret=', 'AccountKey=', 'sig=', '://', 'user:', '@', 'pass', 'pwd ', 'pin ', 'password is ',
      'ghp_', 'xoxb-', 'sk-', 'glpat-', 'AKIA', 'SG.', 'hvs.', 'npm_', 'token=', 'api_key: ', '--password ', ' -p ', '-----BEGIN ',
      '123', '4567', '89', '0', '-', '.', ' ', '/', '+', '(', ')', '%41', '%20', 'AB', 'Z', 'k', 'x', 'ORD-', 'T', ':', '=', ',', '"',
      '4111 1111 1111 1111', '123-45-6789', '+44 20 7946 0958', 'DE89 3704 0044 0532 0130 00', 'a@b.co', 'PESEL ', 'cpr ', '２０',
    ];
    for (let n = 0; n < 4000; n++) {
      let text = '';
      const parts = 1 + Math.floor(rnd() * 14);
      for (let k = 0; k < parts; k++) text += pieces[Math.floor(rnd() * pieces.length)];
      for (let k = 0; k < 3; k++) if (rnd() < 0.5) text += String.fromCharCode(48 + Math.floor(rnd() * 75));
      same(text);
    }
  });

  it('control: the comparison sees a redactor that skips one rule', () => {
    const skipping = createRedactor({ ...options, disable: ['github_token'] });
    const differing = generatedCorpus().filter((c) => skipping.redactText(c.text).value !== reference.redactText(c.text).value);
    expect(differing.map((c) => c.kind)).toContain('provider/github_token#1');
  });
});
