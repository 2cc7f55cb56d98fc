/**
 * The prefilters skip work only where nothing can match: each is checked here against the slow
 * path it stands for, on strings built to match (sampled from the rules' own patterns) and on
 * random near-misses. A prefilter that skipped a rule which could match fails these tests.
 */
import { describe, expect, it } from 'vitest';
import { KeyMatcher, splitKeyWords } from '../src/key-rules';
import { decideGenericName, isGenericSecretName } from '../src/generic-secrets';
import { KeywordIndex } from '../src/rules/keyword-index';
import { ID_CONTEXT_WORDS, NATIONAL_ID_RULES, mayHoldContextWord, rowMayMatch } from '../src/rules/national-ids';
import { ProviderScanner } from '../src/rules/provider-scan';
import { PROVIDER_RULES } from '../src/rules/provider-rules';
import { e164Digits, hasBase64Run, nationalIds, textFeatures, usSsn } from '../src/value-rules';
import { createRedactor } from '../src/index';
import { patternSampler, prng } from './fixtures/sampling';
import {
  LIT_ID_CONTEXT,
  PROSE_GATE_BITS,
  PROSE_GATE_RE,
  SECRET_TRIGGER_BITS,
  SECRET_TRIGGER_RE,
  TRIGGER_LITERALS,
  WORD_TRIGGER_BITS,
  WORD_TRIGGER_RE,
} from '../src/trigger-literals';

const SURROUNDINGS: readonly [string, string][] = [
  ['', ''],
  ['id ', ''],
  ['PESEL: ', ' ok'],
  ['x (', ')'],
  ['Customer ', ', thanks'],
  ['"', '"'],
  ['AB ', ' 99'],
  ['tel 12 ', ''],
];

describe('national-id row prefilter (run, capitals, digit runs and shapes)', () => {
  it('passes every row for strings its pattern matches, in any surroundings', () => {
    const rnd = prng(Number(process.env.SEED ?? 11));
    let checked = 0;
    for (const rule of NATIONAL_ID_RULES) {
      const sample = patternSampler(rule.pattern);
      const re = new RegExp(`(?<![A-Za-z0-9])(?:${rule.pattern})(?![A-Za-z0-9])`);
      for (let n = 0; n < 300; n++) {
        const [before, after] = SURROUNDINGS[n % SURROUNDINGS.length]!;
        const text = before + sample(rnd) + after;
        if (!re.test(text)) continue;
        const f = textFeatures(text);
        const gate = { run: Math.max(f.cardRun, f.idRun), upper: f.upper, pure: f.pureRun, groups: f.idGroups, digits: f.digits, shape: f.idShape };
        if (!nationalIds.applies(f, text)) expect.fail(`national ids skipped for ${JSON.stringify(text)}`);
        if (!rowMayMatch(rule, gate)) expect.fail(`${rule.type} (${rule.pattern}) skipped for ${JSON.stringify(text)}: ${JSON.stringify(gate)}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(NATIONAL_ID_RULES.length * 150);
  });

  it('passes every row whose pattern matches a random digit/capital/separator string', () => {
    const rnd = prng(Number(process.env.SEED ?? 11));
    const alphabet = '0123456789012345678901234567890123456789 .-/+ABCDXYZSTKabc';
    const compiled = NATIONAL_ID_RULES.map((rule) => ({ rule, re: new RegExp(`(?<![A-Za-z0-9])(?:${rule.pattern})(?![A-Za-z0-9])`) }));
    let matched = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const len = 8 + Math.floor(rnd() * 30);
      for (let k = 0; k < len; k++) text += alphabet[Math.floor(rnd() * alphabet.length)];
      const f = textFeatures(text);
      const gate = { run: Math.max(f.cardRun, f.idRun), upper: f.upper, pure: f.pureRun, groups: f.idGroups, digits: f.digits, shape: f.idShape };
      for (const { rule, re } of compiled) {
        if (!re.test(text)) continue;
        matched++;
        if (!nationalIds.applies(f, text)) expect.fail(`national ids skipped for ${JSON.stringify(text)}`);
        if (!rowMayMatch(rule, gate)) expect.fail(`${rule.type} skipped for ${JSON.stringify(text)}: ${JSON.stringify(gate)}`);
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('passes the SSN rule for every string its regex matches', () => {
    const rnd = prng(Number(process.env.SEED ?? 13));
    const sample = patternSampler('[0-9]{3}-[0-9]{2}-[0-9]{4}');
    const re = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/;
    let checked = 0;
    for (let n = 0; n < 2000; n++) {
      const [before, after] = SURROUNDINGS[n % SURROUNDINGS.length]!;
      const text = before + sample(rnd) + after;
      if (!re.test(text)) continue;
      checked++;
      if (!usSsn.applies(textFeatures(text), text)) expect.fail(`us_ssn skipped for ${JSON.stringify(text)}`);
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('redacts the forms earlier gates skipped (found by the sampled strings)', () => {
    const redactor = createRedactor({});
    // Chilean RUTs with a one-digit head (7-8 digits), Swedish numbers of people over 100 (`+`),
    // French NIRs born in Corsica (department 2A/2B), Italian fiscal codes with every digit replaced by a letter.
    const cases: [string, string][] = [
      ['16.314.512-k', 'cl_rut'],
      ['8.181.544-5', 'cl_rut'],
      ['860217+7969', 'se_personnummer'],
      ['1 29222A 10358132', 'fr_nir'],
      ['SKYRJE6PRT4Y0MRR', 'it_fiscal_code'],
    ];
    for (const [id, type] of cases) {
      const out = redactor.redactText(`id ${id} on file`);
      expect(out.value).toBe(`id [REDACTED:${type}] on file`);
    }
  });

  it('control: a gate that is too tight is caught by the sampled strings', () => {
    const rule = NATIONAL_ID_RULES.find((r) => r.type === 'dk_cpr')!;
    const tooTight = { ...rule, pure: 7 }; // a DDMMYY-NNNN has a 6-digit run at most
    const text = `cpr ${patternSampler(rule.pattern)(prng(1))}`;
    const f = textFeatures(text);
    const gate = { run: Math.max(f.cardRun, f.idRun), upper: f.upper, pure: f.pureRun, groups: f.idGroups, digits: f.digits, shape: f.idShape };
    expect(rowMayMatch(rule, gate)).toBe(true);
    expect(rowMayMatch(tooTight, gate)).toBe(false);
  });
});

/** Every (keyword, end) occurrence, by brute force over an ASCII-lower-cased copy. */
function naiveHits(keywords: readonly string[], text: string): string[] {
  let lower = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    lower += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : text[i];
  }
  const out: string[] = [];
  keywords.forEach((kw, k) => {
    for (let at = lower.indexOf(kw); at >= 0; at = lower.indexOf(kw, at + 1)) out.push(`${k}@${at + kw.length}`);
  });
  return out.sort();
}

describe('keyword index (Aho–Corasick prefilter)', () => {
  const keywords = [...new Set(PROVIDER_RULES.flatMap((r) => r.keywords))];
  const index = new KeywordIndex(keywords);
  const buffer = new Int32Array(1 << 16);
  const scanHits = (text: string) => {
    const n = index.scan(text, buffer);
    const out: string[] = [];
    for (let h = 0; h < n; h++) out.push(`${buffer[2 * h]}@${buffer[2 * h + 1]}`);
    return out.sort();
  };

  it('finds exactly the occurrences a brute-force search finds', () => {
    const rnd = prng(Number(process.env.SEED ?? 11));
    const pieces = [...keywords.slice(0, 400), 'a', 'b', ' ', '_', '-', '.', 'Z', '9', 'é', '４', '\n', 'xx', 'SK', 'Ghp_', 'EYJ'];
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const parts = 1 + Math.floor(rnd() * 12);
      for (let k = 0; k < parts; k++) {
        let p = pieces[Math.floor(rnd() * pieces.length)]!;
        if (rnd() < 0.3) p = p.toUpperCase();
        if (rnd() < 0.2) p = p.slice(0, Math.max(1, p.length - 1)); // a near miss
        text += p;
      }
      expect(scanHits(text)).toEqual(naiveHits(keywords, text));
      expect(index.test(text)).toBe(naiveHits(keywords, text).length > 0);
    }
  });

  it('control: the brute force sees a keyword the index would miss if it were not indexed', () => {
    const partial = new KeywordIndex(keywords.filter((k) => k !== 'glpat-'));
    const text = 'token glpat-abcdefghijklmnopqrst';
    expect(naiveHits(keywords, text).length).toBeGreaterThan(0);
    const n = partial.scan(text, buffer);
    const found = Array.from({ length: n }, (_, h) => partial.keywords[buffer[2 * h]!]);
    expect(found).not.toContain('glpat-');
  });
});

describe('trigger literals found by the keyword pass', () => {
  const keywords = [...new Set(PROVIDER_RULES.flatMap((r) => r.keywords))];
  const index = new KeywordIndex(keywords, TRIGGER_LITERALS);
  const buffer = new Int32Array(16); // tiny: the bits must still cover the whole text
  const bitsOf = (text: string) => {
    index.scan(text, buffer);
    return index.flags;
  };

  it('agree with the regexes they replace (exact where case-insensitive, necessary where not)', () => {
    const rnd = prng(31);
    const pieces = ['eyJ', 'EYJ', '-----BEGIN ', '-----begin', 'Bearer', 'BEARER', 'basic', 'ASIC', 'Secret', 'ecret', 'AccountKey', 'sharedAccess', 'sig=', 'SIG', '://', ':/', 'pass', 'PWD', 'pin', 'Pin ', 'spinach', ' ', 'x', '-', '=', ':', 'ghp_', 'sk-', '9', 'é', '\t'];
    let hits = 0;
    for (let n = 0; n < 5000; n++) {
      let text = '';
      const parts = 1 + Math.floor(rnd() * 40);
      for (let k = 0; k < parts; k++) text += pieces[Math.floor(rnd() * pieces.length)];
      const bits = bitsOf(text);
      expect((bits & SECRET_TRIGGER_BITS) !== 0).toBe(SECRET_TRIGGER_RE.test(text));
      if (WORD_TRIGGER_RE.test(text)) expect(bits & WORD_TRIGGER_BITS).not.toBe(0);
      if (PROSE_GATE_RE.test(text)) {
        hits++;
        expect(bits & PROSE_GATE_BITS).not.toBe(0);
      }
    }
    expect(hits).toBeGreaterThan(100);
  });

  it('control: a literal missing from the list changes the verdict', () => {
    const without = new KeywordIndex(keywords, TRIGGER_LITERALS.filter(([w]) => w !== 'sig='));
    without.scan('https://x.blob.core.windows.net/c?sv=1&sig=abc', buffer);
    index.scan('https://x.blob.core.windows.net/c?sv=1&sig=abc', buffer);
    expect(index.flags & SECRET_TRIGGER_BITS).not.toBe(0);
    expect(without.flags & ~TRIGGER_LITERALS.find(([w]) => w === '://')![1] & SECRET_TRIGGER_BITS).toBe(0);
  });
});

/** splitKeyWords as it was (a string built character by character): the reference for the sliced one. */
function splitKeyWordsBefore(key: string): string[] {
  const words: string[] = [];
  let current = '';
  let prevKind = 0; // 0 none, 1 lower, 2 upper, 3 digit
  const n = Math.min(key.length, 256);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    const kind = c >= 97 && c <= 122 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 48 && c <= 57 ? 3 : 0;
    if (kind === 0) {
      if (current) words.push(current);
      current = '';
      prevKind = 0;
      continue;
    }
    let boundary = false;
    if (current) {
      if (kind === 2 && prevKind === 1) boundary = true; // fooBar
      else if ((kind === 3) !== (prevKind === 3)) boundary = true; // foo2, 2foo
      else if (kind === 1 && prevKind === 2 && current.length > 1) {
        // APIKey: the last capital starts the next word
        words.push(current.slice(0, -1));
        current = current.slice(-1);
      }
    }
    if (boundary) {
      words.push(current);
      current = '';
    }
    current += String.fromCharCode(kind === 2 ? c + 32 : c);
    prevKind = kind;
  }
  if (current) words.push(current);
  return words;
}

describe('hand-written checks that replaced regexes', () => {
  it('splitKeyWords slices the same words the per-character version built', () => {
    const rnd = prng(45);
    const alphabet = 'aAbBkKyY09_-. xXéİ';
    for (let n = 0; n < 20_000; n++) {
      let key = '';
      const len = Math.floor(rnd() * 20);
      for (let k = 0; k < len; k++) key += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(splitKeyWords(key)).toEqual(splitKeyWordsBefore(key));
    }
    for (const key of ['XApiKey', 'HTTP_AUTHORIZATION2', 'x-api-key', 'userID2fa', 'a'.repeat(300)]) expect(splitKeyWords(key)).toEqual(splitKeyWordsBefore(key));
  });

  it('the dash features are exactly includes("--") and includes(" -")', () => {
    const rnd = prng(43);
    const alphabet = '- -a-1 \t—-';
    for (let n = 0; n < 20_000; n++) {
      let s = '';
      const len = Math.floor(rnd() * 12);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const f = textFeatures(s);
      expect([f.doubleDash, f.spaceDash]).toEqual([s.includes('--'), s.includes(' -')]);
    }
  });

  it('e164Digits agrees with the digit count and separator test it replaced', () => {
    const rnd = prng(41);
    const alphabet = '0123456789 .-()+';
    for (let n = 0; n < 20_000; n++) {
      let s = '+';
      const len = 2 + Math.floor(rnd() * 24);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const before = /[ .-]{2}|\(\)/.test(s) ? -1 : s.replace(/\D/g, '').length;
      expect(e164Digits(s)).toBe(before);
    }
  });
});

describe('key-name prefilters (a term must occur in the name’s letters and digits)', () => {
  const FRAGMENTS = ['password', 'passwd', 'pass', 'pwd', 'word', 'secret', 'token', 'tokens', 'auth', 'author', 'key', 'keys', 'api', 'apikey', 'sid', 'sig', 'pin', 'otp', 'ssn', 'cvv', 'dsn', 'nino', 'jwt', 'session', 'access', 'credential', 'cookie', 'bearer', 'signature', 'private', 'hmac', 'salt', 'nonce', 'id', 'name', 'count', 'max', 'x', 'value', 'header', 'ticket', 'code', 'field', '2', '99', 'a', 'Q'];
  const SEPARATORS = ['', '_', '-', '.', ' ', '__', 'é'];
  function names(seed: number, count: number): string[] {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const out: string[] = [];
    for (let n = 0; n < count; n++) {
      let name = '';
      const parts = 1 + Math.floor(rnd() * 4);
      for (let p = 0; p < parts; p++) {
        let w = pick(FRAGMENTS);
        const shape = rnd();
        if (shape < 0.2) w = w.toUpperCase();
        else if (shape < 0.35) w = w.charAt(0).toUpperCase() + w.slice(1);
        else if (shape < 0.45) w = [...w].join(pick(['_', '-', '.'])); // p_a_s_s_w_o_r_d
        name += (p > 0 ? pick(SEPARATORS) : '') + w;
      }
      if (rnd() < 0.05) name = `${'y'.repeat(250 + Math.floor(rnd() * 10))}${name}`; // terms around the 256-character cut
      out.push(name);
    }
    return out;
  }
  const matcher = () => new KeyMatcher({ extraKeys: ['ticketCode', 'x9'], allowKeys: ['author'], disabledLabels: new Set() });
  const reference = (m: KeyMatcher, k: string) => (m.isAllowed(k) ? null : (m as unknown as { compute(k: string): string | null }).compute(k));
  const mismatches = (m: KeyMatcher, list: readonly string[]) => list.filter((k) => m.match(k) !== reference(m, k));

  it('KeyMatcher.match equals the unfiltered rules on generated names', () => {
    const list = names(51, 30_000);
    const m = matcher();
    expect(mismatches(m, list)).toEqual([]);
    // The names reach every kind of match: strong, weak tail, glued, extra keys, X-…-Key.
    const labels = new Set(list.map((k) => m.match(k)));
    for (const l of ['password', 'secret', 'token', 'session', 'signature', 'api_key', 'ticket_code', 'x_9']) expect(labels).toContain(l);
  });

  it('control: a prefilter missing the terms is caught', () => {
    const m = matcher();
    (m as unknown as { terms: KeywordIndex }).terms = new KeywordIndex(['zzzz']);
    expect(mismatches(m, names(51, 2_000)).length).toBeGreaterThan(100);
  });

  it('isGenericSecretName equals its unfiltered decision on generated names', () => {
    const list = names(52, 30_000);
    expect(list.filter((k) => isGenericSecretName(k) !== decideGenericName(k))).toEqual([]);
    expect(list.filter((k) => decideGenericName(k)).length).toBeGreaterThan(1000);
  });
});

describe('national-id context words found by the keyword pass', () => {
  const scanner = new ProviderScanner(PROVIDER_RULES, new Set());
  const contextBit = (s: { literals(text: string): number }, text: string) => (s.literals(text) & LIT_ID_CONTEXT) !== 0 || textFeatures(text).nonAscii;
  const texts = (() => {
    const rnd = prng(61);
    const words = [...ID_CONTEXT_WORDS, 'PESEL', 'Tax Id', 'T.C.', 'fødselsnummer', 'マイナンバー'];
    const filler = ['tc', 'no', 'ta', 'x id', 'pese', 'l', ' ', ':', '44051401358', 'ghp_', 'x', 'nh', 'si', 'cp'];
    return Array.from({ length: 5000 }, () => {
      let t = '';
      const parts = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < parts; k++) t += rnd() < 0.12 ? words[Math.floor(rnd() * words.length)] : filler[Math.floor(rnd() * filler.length)];
      return t;
    });
  })();

  it('the LIT_ID_CONTEXT bit (or a non-ASCII code unit) is exactly what scanNationalIds checks for itself', () => {
    let yes = 0;
    for (const t of texts) {
      const expected = mayHoldContextWord(t);
      expect([t, contextBit(scanner, t)]).toEqual([t, expected]);
      if (expected) yes++;
    }
    expect(yes).toBeGreaterThan(500);
    expect(texts.length - yes).toBeGreaterThan(500);
  });

  it('control: a keyword pass without the context words disagrees', () => {
    const bare = new KeywordIndex([], TRIGGER_LITERALS);
    const withoutWords = {
      literals: (t: string) => {
        bare.scan(t, new Int32Array(2));
        return bare.flags;
      },
    };
    expect(texts.filter((t) => contextBit(withoutWords, t) !== mayHoldContextWord(t)).length).toBeGreaterThan(100);
  });
});

describe('base64 run check before the user:pass regex', () => {
  it('hasBase64Run(text, 12) holds whenever the regex finds a run', () => {
    const rnd = prng(62);
    const alphabet = 'aZ09+/aZ09+/aZ09+/=_-. :';
    let found = 0;
    for (let n = 0; n < 20_000; n++) {
      let s = '';
      const len = Math.floor(rnd() * 40);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const regex = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{12,200}={0,2}(?![A-Za-z0-9+/=_-])/.test(s);
      if (regex) {
        found++;
        expect(hasBase64Run(s, 12)).toBe(true);
      }
    }
    expect(found).toBeGreaterThan(50);
  });
});
