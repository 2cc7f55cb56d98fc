import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_RULE_TYPES, REDACT_ERROR_CODES, RedactConfigError, type RedactorOptions, createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';

const KEY = 'test-hmac-key-0123456789abcdef';

describe('modes', () => {
  it('mask is the default: [REDACTED:<type>]', () => {
    expect(createRedactor().redactText('mail a.b@example.com').value).toBe('mail [REDACTED:email]');
  });

  it('hmac pseudonyms are keyed, stable and joinable: hmac:<keyId>:<16 hex>', () => {
    const r = createRedactor({ modes: { email: 'hmac' }, hmacKey: KEY });
    const expected = `hmac:k1:${createHmac('sha256', KEY).update('a.b@example.com').digest('hex').slice(0, 16)}`;
    expect(r.redactText('mail a.b@example.com').value).toBe(`mail ${expected}`);
    expect(r.redact({ to: 'a.b@example.com' }).value).toEqual({ to: expected });
    const other = createRedactor({ modes: { email: 'hmac' }, hmacKey: `${KEY}-other`, hmacKeyId: 'k2' });
    expect(other.redactText('a.b@example.com').value).toMatch(/^hmac:k2:[0-9a-f]{16}$/);
    expect(other.redactText('a.b@example.com').value).not.toBe(expected.replace('k1', 'k2'));
  });

  it('drop removes the property; in arrays and free text it masks', () => {
    const r = createRedactor({ modes: { email: 'drop', key: 'drop' } });
    const out = r.redact({ to: 'a.b@example.com', cc: ['c.d@example.com'], note: 'ok', password: 'x' });
    expect(out.value).toEqual({ cc: ['[REDACTED:email]'], note: 'ok' });
    expect(out.count).toBe(3);
    expect(r.redactText('mail a.b@example.com').value).toBe('mail [REDACTED:email]');
    expect(r.redactAttributes({ 'user.email': 'a.b@example.com', 'db.password': 'x', ok: 1 }).value).toEqual({ ok: 1 });
  });

  it('per-key-rule modes override the `key` mode, which overrides defaultMode', () => {
    const r = createRedactor({ defaultMode: 'hmac', hmacKey: KEY, modes: { key: 'mask', 'key:password': 'drop' } });
    const out = r.redact({ password: 'a', token: 'b', mail: 'x@example.com' }).value as Record<string, string>;
    expect(out).not.toHaveProperty('password');
    expect(out.token).toBe('[REDACTED:key:token]');
    expect(out.mail).toMatch(/^hmac:k1:[0-9a-f]{16}$/);
  });

  it('custom patterns run first, with their own mode', () => {
    const r = createRedactor({ patterns: [{ type: 'employee_id', pattern: /EMP-\d{6}/, mode: 'hmac' }], hmacKey: KEY });
    expect(r.redactText('by EMP-123456').value).toMatch(/^by hmac:k1:[0-9a-f]{16}$/);
    const s = createRedactor({ patterns: [{ type: 'ticket', pattern: 'TCK[0-9]{4}' }] });
    expect(s.redactText('TCK1234 and TCK5678').value).toBe('[REDACTED:ticket] and [REDACTED:ticket]');
    expect(s.redactText('TCK1234').types).toEqual(['ticket']);
  });

  it('disable turns built-in value rules off', () => {
    const r = createRedactor({ disable: ['email', 'phone'] });
    expect(r.redactText('a.b@example.com +14155552671 4111111111111111').value).toBe('a.b@example.com +14155552671 [REDACTED:card_number]');
  });

  it('keyedHash is HMAC-SHA256 over the given string: hmac:<keyId>:<64 hex>', () => {
    const r = createRedactor({ hmacKey: KEY, hmacKeyId: 'prod-2026' });
    expect(r.keyId).toBe('prod-2026');
    expect(r.keyedHash('{"a":1}')).toBe(`hmac:prod-2026:${createHmac('sha256', KEY).update('{"a":1}').digest('hex')}`);
    const eph = createRedactor();
    expect(eph.keyId).toBe('ephemeral');
    expect(eph.keyedHash('x')).toMatch(/^hmac:ephemeral:[0-9a-f]{64}$/);
    // one random key per process: two default redactors agree
    expect(createRedactor().keyedHash('x')).toBe(eph.keyedHash('x'));
    expect(createRedactor({ hmacKey: new Uint8Array(32).fill(7) }).keyedHash('x')).toMatch(/^hmac:k1:/);
  });

  it('redaction is idempotent: redacting redacted output changes nothing', () => {
    const r = createRedactor({ modes: { email: 'hmac' }, hmacKey: KEY });
    const once = r.redact({ password: 'x', note: 'a.b@example.com Bearer abcdef123456', url: 'postgres://u:p4ss@h/db' });
    const twice = r.redact(once.value);
    expect(twice.value).toEqual(once.value);
    expect(twice.count).toBe(0);
  });
});

describe('option validation', () => {
  const bad: [string, unknown, string, string][] = [
    ['options not an object', 'nope', 'options', 'MCPTRAIL_ERR_REDACT_OPTIONS_NOT_OBJ'],
    ['unknown option', { modse: {} }, 'modse', 'MCPTRAIL_ERR_REDACT_UNKNOWN_OPTION'],
    ['unknown rule type in modes', { modes: { emial: 'mask' } }, 'modes.emial', 'MCPTRAIL_ERR_REDACT_UNKNOWN_RULE_TYPE'],
    ['bad mode', { modes: { email: 'erase' } }, 'modes.email', 'MCPTRAIL_ERR_REDACT_INVALID_MODE'],
    ['bad default mode', { defaultMode: 'hide' }, 'defaultMode', 'MCPTRAIL_ERR_REDACT_INVALID_MODE'],
    ['unknown disable', { disable: ['emails'] }, 'disable[0]', 'MCPTRAIL_ERR_REDACT_UNKNOWN_RULE_TYPE'],
    ['keys not array', { keys: 'password' }, 'keys', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['empty key', { keys: ['ok', ''] }, 'keys[1]', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['symbol-only key', { allowKeys: ['--'] }, 'allowKeys[0]', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['bad pattern source', { patterns: [{ type: 'x', pattern: '([a-z]' }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_INVALID_PATTERN'],
    ['sticky flag', { patterns: [{ type: 'x', pattern: /a/y }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_INVALID_PATTERN'],
    ['empty match', { patterns: [{ type: 'x', pattern: /a*/ }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_INVALID_PATTERN'],
    ['nested quantifier', { patterns: [{ type: 'x', pattern: /(a+)+b/ }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_UNSAFE_PATTERN'],
    ['nested quantifier 2', { patterns: [{ type: 'x', pattern: '(\\w+\\s?)*$' }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_UNSAFE_PATTERN'],
    ['backreference', { patterns: [{ type: 'x', pattern: /(a)\1/ }] }, 'patterns[0].pattern', 'MCPTRAIL_ERR_REDACT_UNSAFE_PATTERN'],
    ['pattern type clash', { patterns: [{ type: 'email', pattern: /x/ }] }, 'patterns[0].type', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['pattern type format', { patterns: [{ type: 'Bad Type', pattern: /x/ }] }, 'patterns[0].type', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['duplicate pattern type', { patterns: [{ type: 'x', pattern: /x/ }, { type: 'x', pattern: /y/ }] }, 'patterns[1].type', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
    ['pattern mode', { patterns: [{ type: 'x', pattern: /x/, mode: 'nuke' }] }, 'patterns[0].mode', 'MCPTRAIL_ERR_REDACT_INVALID_MODE'],
    ['short hmac key', { hmacKey: 'short' }, 'hmacKey', 'MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY'],
    ['hmac key type', { hmacKey: 42 }, 'hmacKey', 'MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY'],
    ['hmac key id', { hmacKeyId: 'has:colon' }, 'hmacKeyId', 'MCPTRAIL_ERR_REDACT_INVALID_HMAC_KEY'],
    ['limit range', { limits: { maxDepth: 0 } }, 'limits.maxDepth', 'MCPTRAIL_ERR_REDACT_INVALID_LIMIT'],
    ['limit type', { limits: { maxStringLength: '8k' } }, 'limits.maxStringLength', 'MCPTRAIL_ERR_REDACT_INVALID_LIMIT'],
    ['unknown limit', { limits: { maxKeys: 3 } }, 'limits.maxKeys', 'MCPTRAIL_ERR_REDACT_UNKNOWN_OPTION'],
    ['highEntropy type', { highEntropy: 'yes' }, 'highEntropy', 'MCPTRAIL_ERR_REDACT_INVALID_OPTION'],
  ];

  it.each(bad)('%s', (_name, options, field, code) => {
    let err: unknown;
    try {
      createRedactor(options as RedactorOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RedactConfigError);
    const e = err as RedactConfigError;
    expect(e.field).toBe(field);
    expect(e.code).toBe(code);
    expect(e.message).toContain(`redact option '${field}'`);
  });

  it('names the known rule types when one is unknown', () => {
    expect(() => createRedactor({ modes: { emial: 'mask' } })).toThrow(/redact option 'modes\.emial': unknown rule type 'emial' \(known: pem_private_key, jwt, .*email/);
  });

  it('never echoes the hmac key', () => {
    expect(() => createRedactor({ hmacKey: 'tiny-secret' })).toThrow(/at least 16 bytes, got 11/);
    expect(() => createRedactor({ hmacKey: 'tiny-secret' })).not.toThrow(/tiny-secret/);
  });

  it('accepts every built-in type, key labels, user key labels and custom types in modes', () => {
    const modes = Object.fromEntries(BUILTIN_RULE_TYPES.map((t) => [t, 'mask' as const]));
    expect(() =>
      createRedactor({ modes: { ...modes, key: 'drop', 'key:password': 'hmac', 'key:ticket_code': 'mask', custom: 'drop' }, keys: ['ticketCode'], patterns: [{ type: 'custom', pattern: /C-\d+/ }] }),
    ).not.toThrow();
  });

  it('every error code is documented in README.md, and only those', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/`(MCPTRAIL_ERR_REDACT_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.keys(REDACT_ERROR_CODES)));
  });
});
