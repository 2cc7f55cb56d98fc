import { NATIONAL_ID_RULES, PROVIDER_RULES, createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { CORPUS_SEED, PROVIDER_FORMATS, generatedCorpus, leakedKinds, lookAlikeCorpus, needlesOf } from './fixtures/generated-corpus';

const redactor = createRedactor({ hmacKey: 'generated-corpus-key-0123' });
const corpus = generatedCorpus();
const seed = `(MCPTRAIL_CORPUS_SEED=${CORPUS_SEED})`;

describe('generated corpus', () => {
  it('has at least 150 kinds, and a generated value for every format of every provider row', () => {
    expect(new Set(corpus.map((c) => c.kind)).size).toBeGreaterThanOrEqual(150);
    const rowsPerType = new Map<string, number>();
    for (const r of PROVIDER_RULES) rowsPerType.set(r.type, (rowsPerType.get(r.type) ?? 0) + 1);
    const missing = [...rowsPerType].filter(([type]) => (PROVIDER_FORMATS[type]?.length ?? 0) === 0).map(([type]) => type);
    expect(missing, 'provider rule types without a generated case').toEqual([]);
    expect(new Set(NATIONAL_ID_RULES.map((r) => r.country)).size).toBeGreaterThanOrEqual(15);
  });

  it('control: the leak finder sees every case in its raw text (the tests below can fail)', () => {
    for (const c of corpus) expect(leakedKinds([c], `x ${c.text} y`), c.kind).toEqual([c.kind]);
    expect(leakedKinds(corpus, 'nothing here')).toEqual([]);
  });

  it.each(corpus.map((c) => [c.kind, c] as const))(`%s is redacted everywhere ${seed}`, (_kind, c) => {
    const wrapped = redactor.redactText(`while calling the tool: ${c.text} (retry later)`);
    expect(leakedKinds([c], wrapped.value), `redactText: ${wrapped.value}`).toEqual([]);

    const deep = redactor.redact({ note: c.text, list: [c.text, 'ok'], nested: { text: `see ${c.text}` }, [c.text.slice(0, 200)]: true });
    expect(leakedKinds([c], JSON.stringify(deep.value)), `redact: ${JSON.stringify(deep.value)}`).toEqual([]);

    const attrs = redactor.redactAttributes({ 'app.note': c.text, 'app.items': [c.text], 'app.json': JSON.stringify({ x: c.text }) });
    expect(leakedKinds([c], JSON.stringify(attrs.value)), 'redactAttributes').toEqual([]);
  });

  it('secrets split across consecutive array items are redacted', () => {
    const leaks: string[] = [];
    for (const c of corpus) {
      const s = c.secrets[0]!;
      if (c.text !== s || s.length < 24) continue; // bare tokens: split the value itself
      const cut = Math.floor(s.length / 2);
      const out = JSON.stringify(redactor.redact({ parts: [s.slice(0, cut), s.slice(cut)] }).value);
      if (out.includes(s.slice(0, cut)) || out.includes(s.slice(cut))) leaks.push(c.kind);
    }
    expect(leaks).toEqual([]);
  });
});

describe('look-alikes', () => {
  const lookAlikes = lookAlikeCorpus(25);

  it('at most 1 % of the look-alike corpus is changed, in every category', () => {
    const changed = lookAlikes.filter((l) => redactor.redactText(l.text).value !== l.text);
    const rate = changed.length / lookAlikes.length;
    expect(rate, changed.slice(0, 10).map((l) => `${l.category}: ${l.text} -> ${redactor.redactText(l.text).value}`).join('\n')).toBeLessThanOrEqual(0.01);
  });
});

describe('national id checksums', () => {
  // Published examples (issuer documentation / Presidio tests), and the same with one digit changed.
  const valid: Record<string, string> = {
    sg_nric: 'S1234567D',
    fi_hetu: '131052-308T',
    it_fiscal_code: 'RSSMRA85T10A562S',
    br_cpf: '123.456.789-09',
    pl_pesel: 'PESEL 44051401359',
    es_nif: '12345678Z',
    uk_nhs_number: 'NHS 943 476 5919',
    nl_bsn: 'BSN 111222333',
    de_tax_id: 'Steuer-ID 86095742719',
    cn_resident_id: '11010519491231002X',
    ch_ahv: '756.9217.0769.85',
  };
  it.each(Object.entries(valid))('%s %s', (type, text) => {
    expect(redactor.redactText(text).types).toContain(type);
    const flipped = text.replace(/(\d)(?!.*\d)/, (d) => String((Number(d) + 1) % 10));
    expect(redactor.redactText(flipped).types).not.toContain(type);
  });
});

it('needles are at least 6 characters', () => {
  for (const c of corpus) for (const n of needlesOf(c)) expect(n.length).toBeGreaterThanOrEqual(6);
});
