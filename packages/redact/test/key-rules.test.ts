import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { KeyMatcher, splitKeyWords } from '../src/key-rules';

const matcher = new KeyMatcher({ extraKeys: [], allowKeys: [], disabledLabels: new Set() });

describe('splitKeyWords', () => {
  it.each([
    ['apiKey', ['api', 'key']],
    ['api_key', ['api', 'key']],
    ['x-api-key', ['x', 'api', 'key']],
    ['API-KEY', ['api', 'key']],
    ['APIKey', ['api', 'key']],
    ['XMLHttpRequest', ['xml', 'http', 'request']],
    ['password2', ['password', '2']],
    ['http.request.header.authorization', ['http', 'request', 'header', 'authorization']],
    ['', []],
  ])('%s', (key, words) => expect(splitKeyWords(key)).toEqual(words));
});

describe('key rules', () => {
  it.each([
    ['password', 'password'],
    ['Password', 'password'],
    ['db_password', 'password'],
    ['passwd', 'password'],
    ['PWD', 'password'],
    ['db_pass', 'password'],
    ['passphrase', 'password'],
    ['password_hint', 'password'],
    ['secret', 'secret'],
    ['client_secret', 'secret'],
    ['clientSecret', 'secret'],
    ['AWS_SECRET_ACCESS_KEY', 'secret'],
    ['token', 'token'],
    ['access_token', 'token'],
    ['accessToken', 'token'],
    ['accesstoken', 'token'],
    ['refresh_token', 'token'],
    ['X-Auth-Token', 'token'],
    ['x-amz-security-token', 'token'],
    ['csrf_token_value', 'token'],
    ['apiKey', 'api_key'],
    ['api_key', 'api_key'],
    ['x-api-key', 'api_key'],
    ['API-KEY', 'api_key'],
    ['APIKEY', 'api_key'],
    ['x-goog-api-key', 'api_key'],
    ['Authorization', 'authorization'],
    ['Proxy-Authorization', 'authorization'],
    ['http.request.header.authorization', 'authorization'],
    ['auth', 'auth'],
    ['auth_header', 'auth'],
    ['Cookie', 'cookie'],
    ['Set-Cookie', 'cookie'],
    ['session', 'session'],
    ['sessionId', 'session'],
    ['session_id', 'session'],
    ['private_key', 'private_key'],
    ['privateKeyPem', 'private_key'],
    ['access_key', 'access_key'],
    ['aws_access_key_id', 'access_key'],
    ['credentials', 'credential'],
    ['ssn', 'ssn'],
    ['social_security_number', 'ssn'],
    ['credit_card', 'credit_card'],
    ['cardNumber', 'card_number'],
    ['cvv', 'card_number'],
    ['cvv2', 'card_number'],
    ['pin', 'pin'],
    ['pin_code', 'pin'],
    ['otp', 'otp'],
    ['connectionString', 'connection_string'],
    ['sentry_dsn', 'connection_string'],
  ])('%s → key:%s', (key, label) => expect(matcher.match(key)).toBe(label));

  it.each([
    'tokens_used',
    'max_tokens',
    'maxTokens',
    'input_tokens',
    'gen_ai.usage.output_tokens',
    'token_count',
    'token_type',
    'tokenizer',
    'author',
    'authorId',
    'authors',
    'oauth_provider',
    'session_count',
    'sessionStart',
    'spin',
    'pinned',
    'pinecone_index',
    'keyboard',
    'key',
    'passenger',
    'compass',
    'username',
    'user_id',
    'email_verified',
    'city',
    'mcp.tool.name',
    'description',
    'bypass',
    'design',
  ])('%s is not sensitive', (key) => expect(matcher.match(key)).toBeNull());

  it('extra keys match at word boundaries, case- and separator-insensitively', () => {
    const m = new KeyMatcher({ extraKeys: ['ticket_code', 'X-Tenant-Secret'], allowKeys: [], disabledLabels: new Set() });
    expect(m.match('ticketCode')).toBe('ticket_code');
    expect(m.match('user.TICKET-CODE.v2')).toBe('ticket_code');
    expect(m.match('ticketcodes_count')).toBeNull();
  });

  it('allowKeys wins over key rules (whole key or last dotted segment)', () => {
    const m = new KeyMatcher({ extraKeys: [], allowKeys: ['token_type', 'password_policy'], disabledLabels: new Set() });
    expect(m.match('passwordPolicy')).toBeNull();
    expect(m.match('app.password-policy')).toBeNull();
    expect(m.match('password')).toBe('password');
  });

  it('disable: key:<label> turns one built-in key rule off', () => {
    const r = createRedactor({ disable: ['key:session'] });
    expect(r.redact({ session: 'abc', password: 'x' }).value).toEqual({ session: 'abc', password: '[REDACTED:key:password]' });
  });
});

describe('key rules in objects', () => {
  const r = createRedactor();

  it('replaces the whole value of a sensitive key, whatever its type; null stays null', () => {
    const out = r.redact({ password: { nested: 'x' }, pin: 1234, token: ['a', 'b'], secret: null, apiKey: undefined });
    expect(out.value).toEqual({ password: '[REDACTED:key:password]', pin: '[REDACTED:key:pin]', token: '[REDACTED:key:token]', secret: null });
    expect(out.count).toBe(3);
    expect(out.types).toEqual(['key:password', 'key:pin', 'key:token']);
  });

  it('keeps audit-relevant neighbours intact', () => {
    const input = { max_tokens: 512, tokens_used: 40, author: 'Ada', session_count: 3, token_type: 'Bearer' };
    const out = r.redact(input);
    expect(out.value).toEqual(input);
    expect(out.count).toBe(0);
  });
});
