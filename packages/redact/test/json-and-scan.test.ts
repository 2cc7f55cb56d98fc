/**
 * redactJson and scan are redact() without its copy (scan) or with the serialisation folded in
 * (redactJson): each must report exactly what redact() reports, on every shape the walk handles.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, type Redactor, type RedactorOptions } from '../src/index';
import { generatedCorpus, lookAlikeCorpus } from './fixtures/generated-corpus';

/** Values covering every branch of the walk: secrets in keys, values, arrays, bounds, non-JSON values. */
function shapes(): unknown[] {
  const cyclic: Record<string, unknown> = { name: 'loop', password: 'hunter2' };
  cyclic.self = cyclic;
  const withGetter = { get token() { return 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'; }, plain: 'ok' };
  const proto = JSON.parse('{"__proto__": {"apiKey": "abc"}, "x": "jane.doe@example.com"}');
  const out: unknown[] = [
    undefined, null, 0, -0, Number.NaN, Number.POSITIVE_INFINITY, 4111111111111111, 'plain', 'mail jane.doe@example.com',
    12n, Symbol('s'), () => 1,
    { a: undefined, b: () => 1, c: Symbol('c'), d: null, e: [undefined, () => 1, 1] },
    { ghp_16C7e42F292c6912E7710c838347Ae178B4a: true, 'ghp_16C7e42F292c6912E7710c838347Ae178B4b': false },
    { nested: { deeper: { apiKey: 'sk-proj-abcdefghijklmnop', note: 'card 4111 1111 1111 1111' } } },
    ['ghp_16C7e42F292c', '6912E7710c838347Ae178B4a', 'ok'],
    { jwk: { kty: 'RSA', n: 'abcdefghijklmnop', d: 'secretprivatemember12345' } },
    { access: 'Zx9Qw2Er7Ty4Ui1Op3As5Df', billingKey: 'Zx9Qw2Er7Ty4Ui1Op3As5Dg' },
    new Map<unknown, unknown>([['password', 'x'], [1, 'jane.doe@example.com']]),
    new Set(['a', 'jane.doe@example.com']),
    new Date(0), new Date(Number.NaN), new Error('failed for jane.doe@example.com'), /ab+c/g, Buffer.from('abc'),
    new Uint8Array(4), new ArrayBuffer(8), new String('s'), new Number(3), new Boolean(false),
    { toJSON: () => ({ secret: 'x', ok: 1 }) },
    cyclic, withGetter, proto,
    Array.from({ length: 1500 }, (_, i) => i),
    { long: 'x'.repeat(20_000) },
    Array.from({ length: 40 }, () => ({ text: 'y'.repeat(3000) })),
    JSON.parse(JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ [`k${i}`]: { v: [i] } })).reduce((a, b) => ({ v: a, ...b }), {}))),
  ];
  for (const c of generatedCorpus()) out.push({ args: { note: c.text, list: [c.text, 'x'], [c.text.slice(0, 40)]: 1 } });
  for (const l of lookAlikeCorpus(3)) out.push({ value: l.text });
  return out;
}

function mismatches(a: Redactor, b: Redactor): string[] {
  const bad: string[] = [];
  shapes().forEach((v, i) => {
    const full = a.redact(v);
    const json = b.redactJson(v);
    const scanned = b.scan(v);
    const expectedJson = JSON.stringify(full.value) ?? 'null';
    if (json.value !== expectedJson) bad.push(`${i}: redactJson value`);
    for (const [name, r] of [['redactJson', json], ['scan', scanned]] as const) {
      if (r.count !== full.count || r.truncated !== full.truncated || r.types.join() !== full.types.join()) bad.push(`${i}: ${name} tally`);
    }
  });
  return bad;
}

const OPTIONS: RedactorOptions[] = [
  { hmacKey: 'test-hmac-key-0123456789abcdef' },
  { hmacKey: 'test-hmac-key-0123456789abcdef', modes: { email: 'drop', key: 'hmac' }, limits: { maxTotalBytes: 4096, maxDepth: 6, maxArrayLength: 20 } },
  { hmacKey: 'test-hmac-key-0123456789abcdef', defaultMode: 'hmac', highEntropy: true },
];

describe('redactJson and scan report what redact reports', () => {
  for (const options of OPTIONS) {
    it(`on every walk shape, options ${JSON.stringify(options.modes ?? options.defaultMode ?? 'default')}`, () => {
      expect(mismatches(createRedactor(options), createRedactor(options))).toEqual([]);
    });
  }

  it('control: a redactor with different rules is told apart', () => {
    const bad = mismatches(createRedactor(OPTIONS[0]), createRedactor({ ...OPTIONS[0], disable: ['email'] }));
    expect(bad.some((m) => m.endsWith('redactJson value'))).toBe(true);
    expect(bad.some((m) => m.endsWith('scan tally'))).toBe(true);
  });

  it('scan returns no value and redactJson never leaks a caught secret', () => {
    const r = createRedactor(OPTIONS[0]);
    const s = r.scan({ apiKey: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', note: 'jane.doe@example.com' });
    expect(s).toEqual({ count: 2, types: ['email', 'key:api_key'], truncated: false });
    expect(r.redactJson({ a: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' }).value).toBe('{"a":"[REDACTED:github_token]"}');
  });
});
