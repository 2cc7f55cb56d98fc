import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { RAW_PASSWORDS, SECRET_CORPUS, findLeaks } from './fixtures/secret-corpus';

const r = createRedactor({ hmacKey: 'gaps-test-key-0123456789' });
const text = (s: string) => r.redactText(s);

describe('card numbers wherever they stand', () => {
  it.each([
    ['0 4111 1111 1111 1111', '0 [REDACTED:card_number]'],
    ['12 4111 1111 1111 1111 exp 12/29', '12 [REDACTED:card_number] exp 12/29'],
    ['4111 1111 1111 1111 2029', '[REDACTED:card_number] 2029'],
    ['x-4111111111111111', 'x-[REDACTED:card_number]'],
    ['ref-4111 1111 1111 1111', 'ref-[REDACTED:card_number]'],
    ['(4111111111111111)', '([REDACTED:card_number])'],
    ['card:4111111111111111;', 'card:[REDACTED:card_number];'],
    ['#5555-5555-5555-4444!', '#[REDACTED:card_number]!'],
    ['cards 4111111111111111,5555555555554444', 'cards [REDACTED:card_number],[REDACTED:card_number]'],
    ['2026 4111 1111 1111 1111 1234', '2026 [REDACTED:card_number] 1234'],
    ['amex 9 3782 822463 10005', 'amex 9 [REDACTED:card_number]'],
  ])('%s', (input, expected) => {
    const out = text(input);
    expect(out.value).toBe(expected);
    expect(out.types).toEqual(['card_number']);
    expect(text(expected).value).toBe(expected); // redacting twice changes nothing
  });

  it('the space-joined corpus in one string leaks nothing (the processor service repro)', () => {
    const joined = SECRET_CORPUS.map((s) => s.value).join(' ');
    expect(findLeaks(text(joined).value)).toEqual([]);
    expect(findLeaks(JSON.stringify(r.redact({ q: joined }).value))).toEqual([]);
  });

  it.each([
    '1763733319123 1763733319456',
    '12345678-1234-1234-1234-123456789012',
    '41111111111111111111111111',
    '4111111111111111111111',
    'order 2026-11-21-000184-4417',
    'ids 4000 0000 0000 0001 2 3',
    'pi 3.4111111111111111',
    'v 1.2.4111111111111111',
    'ts 2026-11-21T13:55:19.4111111111111111Z',
  ])('no false positive: %s', (input) => {
    expect(text(input).value).toBe(input);
  });

  it('phone numbers stay phones, not cards', () => {
    expect(text('tel +44 20 7946 0958 / 0044 20 7946 0959').types).toEqual(['phone']);
  });
});

describe('passwords in command lines and prose', () => {
  it.each([
    ['cmd --password hunter2 --verbose', 'cmd --password [REDACTED:key:password] --verbose'],
    ['deploy --db-password "hunter 2" --env prod', 'deploy --db-password "[REDACTED:key:password]" --env prod'],
    ['gh auth login --token ghx0123456789abcdef', 'gh auth login --token [REDACTED:key:token]'],
    ["tool --client-secret 's3cr3t'", "tool --client-secret '[REDACTED:key:secret]'"],
    ['mysql -u root -p s3cretPw orders', 'mysql -u root -p [REDACTED:key:password] orders'],
    ['mysql -uroot -ps3cretPw orders', 'mysql -uroot -p[REDACTED:key:password] orders'],
    ['$ mysqldump --user=root -phunter2 db > dump.sql', '$ mysqldump --user=root -p[REDACTED:key:password] db > dump.sql'],
    ['sshpass -p hunter2 ssh deploy@host', 'sshpass -p [REDACTED:key:password] ssh deploy@host'],
    ['redis-cli -h cache -a hunter2 ping', 'redis-cli -h cache -a [REDACTED:key:password] ping'],
    ['mongosh -u admin -p hunter2 --authenticationDatabase admin', 'mongosh -u admin -p [REDACTED:key:password] --authenticationDatabase admin'],
    ['curl -u admin:hunter2 https://api.internal/x', 'curl -u admin:[REDACTED:key:password] https://api.internal/x'],
    ['curl --user admin:hunter2 https://api.internal/x', 'curl --user admin:[REDACTED:key:password] https://api.internal/x'],
    ['the password is hunter2', 'the password is [REDACTED:key:password]'],
    ['My password was "hunter two".', 'My password was "[REDACTED:key:password]".'],
    ['Password is Tr0ub4dor&3, keep it safe', 'Password is [REDACTED:key:password], keep it safe'],
    ['the wifi passphrase is correcthorse', 'the wifi passphrase is [REDACTED:key:password]'],
    ['pwd: hunter2', 'pwd: [REDACTED:key:password]'],
    ['your PIN is 4821.', 'your PIN is [REDACTED:key:pin].'],
    ['curl -H "Authorization: Basic YTpi" x', 'curl -H "Authorization: [REDACTED:key:authorization]" x'],
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==\nHost: x', 'Authorization: Basic [REDACTED:basic_auth]\nHost: x'],
    ['headers {Authorization: Basic dXNlcjpwYXNzd29yZA==, Accept: */*}', 'headers {Authorization: Basic [REDACTED:basic_auth], Accept: */*}'],
  ])('%s', (input, expected) => {
    const out = text(input);
    expect(out.value).toBe(expected);
    expect(out.count).toBeGreaterThan(0);
    expect(text(expected).value).toBe(expected); // redacting twice changes nothing
  });

  it.each([
    'ssh -p 2222 deploy@host',
    'docker run -p 8080:80 nginx',
    'psql -h db -p 5432 -U app orders',
    'mkdir -p /var/lib/app',
    'cmd --password --verbose',
    'the password is required',
    'Password is incorrect.',
    'your password was changed',
    'password is too short',
    'the password is not set',
    'pin is optional',
    'npm test -- --passWithNoTests',
    'git log -p --stat',
    'spinning up 3 replicas',
    'the compass is broken',
  ])('no false positive: %s', (input) => {
    expect(text(input).value).toBe(input);
  });

  it('the same in argument objects and attributes', () => {
    const args = { command: `mysql -uroot -p${RAW_PASSWORDS[0]} orders`, note: `password is ${RAW_PASSWORDS[1]}` };
    expect(findLeaks(JSON.stringify(r.redact(args).value))).toEqual([]);
    expect(findLeaks(JSON.stringify(r.redactAttributes({ 'process.command_line': args.command, 'app.note': args.note }).value))).toEqual([]);
  });
});

describe('the corpus in other wrappings', () => {
  /** Wrappings a secret commonly arrives in; every entry point must catch every corpus value in each. */
  const wrappings: Record<string, (v: string) => string> = {
    'URL query (percent-encoded)': (v) => `https://api.example.com/search?q=${encodeURIComponent(v)}&page=2`,
    'form body (+ for spaces)': (v) => new URLSearchParams({ q: v, page: '2' }).toString(),
    'URL query (raw)': (v) => `https://api.example.com/search?q=${v}&page=2`,
    'JSON in a string': (v) => JSON.stringify({ x: v }),
    'JSON in JSON in a string': (v) => JSON.stringify({ a: JSON.stringify({ x: v }) }),
    'JSON three levels deep': (v) => JSON.stringify({ a: JSON.stringify({ b: JSON.stringify({ x: v }) }) }),
    'escaped string body': (v) => JSON.stringify(v).slice(1, -1),
    quoted: (v) => `'${v}'`,
    'after =': (v) => `value=${v}`,
    markdown: (v) => `\`${v}\``,
    'between lines': (v) => `line one\n${v}\nline three`,
    tabs: (v) => `a\t${v}\tb`,
    XML: (v) => `<value>${v}</value>`,
    'HTML attribute': (v) => `<input value="${v}">`,
    YAML: (v) => `config:\n  value: ${v}\n`,
    CSV: (v) => `id,value\n1,${v}\n`,
    parentheses: (v) => `(${v})`,
    'comma list': (v) => `${v},${v}`,
  };
  it.each(Object.keys(wrappings))('%s', (name) => {
    const wrap = wrappings[name]!;
    const missed: string[] = [];
    for (const s of SECRET_CORPUS) {
      const v = wrap(s.value);
      const outputs = [
        r.redactText(v).value,
        JSON.stringify(r.redact({ a: v, list: [v] }).value),
        JSON.stringify(r.redactAttributes({ 'app.x': v }).value),
      ];
      if (outputs.some((o) => findLeaks(o).length > 0)) missed.push(s.kind);
      const once = r.redactText(v).value;
      if (r.redactText(once).value !== once) missed.push(`${s.kind} (not idempotent)`);
    }
    expect(missed).toEqual([]);
  });

  it('percent-encoded hits map back onto the encoded text', () => {
    expect(text('q=Bearer%206nqWvt51z4__OjYSoKbiWdQKnjWBSYSHjEXC9EDp&page=2').value).toBe('q=Bearer%20[REDACTED:bearer]&page=2');
    expect(text('next=%2Fcallback%3Femail%3Djane.doe%2540example.com').count).toBe(0); // double-encoded: not decoded twice
    expect(text('to=jane.doe%40example.com&x=1').value).toBe('to=[REDACTED:email]&x=1');
    expect(text('100% sure, 20%-30% off').count).toBe(0);
  });
});

describe('base64-wrapped JSON', () => {
  const b64 = (v: unknown, url = false) => Buffer.from(JSON.stringify(v)).toString(url ? 'base64url' : 'base64');

  it('is decoded; a secret inside replaces the whole blob', () => {
    for (const s of SECRET_CORPUS) {
      for (const url of [false, true]) {
        const blob = b64({ x: s.value }, url);
        const out = text(`payload=${blob}; done`);
        expect(out.value, `${s.kind} ${url}`).not.toContain(blob.slice(0, 24));
        expect(out.count, s.kind).toBeGreaterThan(0);
        expect(JSON.stringify(r.redact({ payload: blob }).value)).not.toContain(blob.slice(0, 24));
      }
    }
    expect(text(`data ${b64({ user: 'svc', password: RAW_PASSWORDS[0] })}`).value).toBe('data [REDACTED:key:password]');
    expect(text(`list ${b64([{ password: RAW_PASSWORDS[1] }])}`).types).toEqual(['key:password']);
  });

  it('leaves innocuous base64 JSON, binary and JWTs to their own rules', () => {
    const clean = b64({ page: 2, sort: 'desc', filter: { city: 'Paris' } });
    expect(text(`cursor ${clean}`).value).toBe(`cursor ${clean}`);
    const binary = Buffer.from([0x7b, 0x22, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]).toString('base64');
    expect(text(`bin ${binary}`).count).toBe(0);
    const jwt = SECRET_CORPUS.find((s) => s.kind === 'jwt')!.value;
    expect(text(jwt).types).toEqual(['jwt']);
  });
});
