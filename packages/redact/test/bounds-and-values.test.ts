import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';

const r = createRedactor();

function deepNest(depth: number): unknown {
  let v: unknown = { leaf: 'password=hunter22' };
  for (let i = 0; i < depth; i++) v = { child: v };
  return v;
}

describe('bounds', () => {
  it('10,000-deep nesting is cut at maxDepth, not a stack overflow', () => {
    const out = r.redact(deepNest(10_000));
    expect(out.truncated).toBe(true);
    let v = out.value as Record<string, unknown>;
    let depth = 0;
    while (typeof v === 'object' && v !== null) {
      v = v.child as Record<string, unknown>;
      depth++;
    }
    expect(v).toBe('[TRUNCATED]');
    expect(depth).toBe(32);
    expect(createRedactor({ limits: { maxDepth: 3 } }).redact(deepNest(5)).value).toEqual({ child: { child: { child: '[TRUNCATED]' } } });
  });

  it('10,000-deep arrays and JSON strings in attributes are bounded too', () => {
    let a: unknown = ['x'];
    for (let i = 0; i < 10_000; i++) a = [a];
    expect(r.redact(a).truncated).toBe(true);
    const json = `${'['.repeat(10_000)}"password=hunter22"${']'.repeat(10_000)}`;
    const attrs = r.redactAttributes({ 'app.payload': json });
    expect(JSON.stringify(attrs.value)).not.toContain('hunter22');
  });

  it('arrays longer than maxArrayLength keep the head and say how much was cut', () => {
    const big = Array.from({ length: 5000 }, (_, i) => i);
    const out = createRedactor({ limits: { maxArrayLength: 10 } }).redact(big);
    expect(out.value).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, '[TRUNCATED 4990 items]']);
    expect(out.truncated).toBe(true);
  });

  it('strings longer than maxStringLength are cut, still redacted across the cut', () => {
    const small = createRedactor({ limits: { maxStringLength: 100 } });
    const email = 'jane.doe@example.com';
    const s = `${'a '.repeat(45)}${email} ${'b'.repeat(500)}`; // the email straddles character 100
    const out = small.redactText(s);
    expect(out.truncated).toBe(true);
    expect(out.value).not.toContain('jane.doe');
    expect(out.value.endsWith('…[TRUNCATED]')).toBe(true);
    expect(out.value.length).toBeLessThan(140);
  });

  it('maxTotalBytes stops the walk and marks the result truncated', () => {
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'v'.repeat(50)]));
    const out = createRedactor({ limits: { maxTotalBytes: 4096 } }).redact(wide);
    expect(out.truncated).toBe(true);
    expect(JSON.stringify(out.value).length).toBeLessThan(4096 + 200);
  });

  it('pathological inputs stay linear (would time out if a rule backtracked)', () => {
    const big = createRedactor({ highEntropy: true, limits: { maxStringLength: 300_000 } });
    const n = 1 << 18; // 256 KiB each: enough to expose any super-linear rule
    const inputs = [
      '1'.repeat(n),
      'a@'.repeat(n / 2),
      'x='.repeat(n / 2),
      'password:'.repeat(n / 9),
      '-----BEGIN '.repeat(n / 11),
      '+1 '.repeat(n / 3),
      'DE89 '.repeat(n / 5),
      'eyJ'.repeat(n / 3),
      'Bearer '.repeat(n / 7),
      '4111 '.repeat(n / 5),
      'postgres://u:'.repeat(n / 13),
      `${'a.'.repeat(n / 2)}@`,
      '"password":"'.repeat(n / 12),
      'A'.repeat(n),
      '--password '.repeat(n / 11),
      'mysql -p '.repeat(n / 9),
      'curl -u a:'.repeat(n / 10),
      'password is '.repeat(n / 12),
      '%41'.repeat(n / 3),
      'q=a+'.repeat(n / 4),
      '0 4111 '.repeat(n / 7),
      '1234 5678 '.repeat(n / 10),
      '\\\\\\"password\\\\\\":'.repeat(n / 16),
    ];
    for (const s of inputs) expect(typeof big.redactText(s).value).toBe('string');
  });
});

describe('non-JSON values never throw', () => {
  it('cycles, bigint, functions, symbols, undefined, NaN', () => {
    const a: Record<string, unknown> = { name: 'a', n: 10n, f: () => 1, s: Symbol('x'), u: undefined, nan: Number.NaN, inf: Infinity };
    a.self = a;
    a.list = [a, () => 1, undefined];
    expect(r.redact(a).value).toEqual({ name: 'a', n: '10', nan: null, inf: null, self: '[Circular]', list: ['[Circular]', null, null] });
  });

  it('cycles deeper than the scanned part of the path are still found', () => {
    const deep = createRedactor({ limits: { maxDepth: 200 } });
    const root: Record<string, unknown> = {};
    let cur = root;
    for (let i = 0; i < 120; i++) {
      const next: Record<string, unknown> = {};
      cur.n = next;
      cur = next;
    }
    cur.back = root;
    cur.self = cur;
    let out = deep.redact(root).value as Record<string, unknown>;
    for (let i = 0; i < 120; i++) out = out.n as Record<string, unknown>;
    expect(out).toEqual({ back: '[Circular]', self: '[Circular]' });
  });

  it('shared (non-cyclic) references are copied, not marked circular', () => {
    const shared = { x: 1 };
    expect(r.redact({ a: shared, b: shared }).value).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('binary, dates, errors, maps, sets, regexps, boxed primitives, toJSON', () => {
    const err = new TypeError('login failed for password=hunter22');
    const out = r.redact({
      buf: Buffer.from('secret bytes'),
      u8: new Uint8Array(4),
      ab: new ArrayBuffer(3),
      date: new Date('2026-11-21T13:55:19.000Z'),
      bad: new Date(Number.NaN),
      err,
      map: new Map<unknown, unknown>([['token', 'abc'], [1, 'x']]),
      set: new Set(['a.b@example.com']),
      re: /abc/g,
      boxed: new String('s'),
      url: new URL('https://u:p4ssword@example.com/x'),
      custom: { toJSON: () => ({ password: 'x' }) },
      throwing: { toJSON: () => { throw new Error('nope'); } },
    });
    expect(out.value).toEqual({
      buf: '[Binary 12 bytes]',
      u8: '[Binary 4 bytes]',
      ab: '[Binary 3 bytes]',
      date: '2026-11-21T13:55:19.000Z',
      bad: null,
      err: { name: 'TypeError', message: 'login failed for password=[REDACTED:key:password]' },
      map: { token: '[REDACTED:key:token]', 1: 'x' },
      set: ['[REDACTED:email]'],
      re: '/abc/g',
      boxed: 's',
      url: 'https://u:[REDACTED:url_password]@example.com/x',
      custom: { password: '[REDACTED:key:password]' },
      throwing: '[Unserializable]',
    });
  });

  it('throwing getters and proxies are contained', () => {
    const obj = { ok: 1, get boom() { throw new Error('getter'); } };
    expect(r.redact(obj).value).toEqual({ ok: 1, boom: '[Unreadable]' });
    const proxy = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
    expect(() => r.redact({ p: proxy })).not.toThrow();
  });

  it('a __proto__ key stays data', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    const out = r.redact(input).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });

  it('primitives and top-level values', () => {
    expect(r.redact('a.b@example.com').value).toBe('[REDACTED:email]');
    expect(r.redact(4111111111111111).value).toBe('[REDACTED:card_number]');
    expect(r.redact(42).value).toBe(42);
    expect(r.redact(undefined).value).toBeUndefined();
    expect(r.redact(null).value).toBeNull();
    expect(r.redactText(undefined as unknown as string).value).toBe('');
  });
});
