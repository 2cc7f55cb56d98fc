import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { cardBrandValid, ibanValid, luhnValid } from '../src/checksums';

const r = createRedactor();
const text = (s: string) => r.redactText(s);

describe('value rules catch', () => {
  it.each([
    ['jwt', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2J5dGVz here', 'token [REDACTED:jwt] here'],
    ['bearer', 'curl -H "Authorization: Bearer 8f2c19ab77e04d0f" x', 'curl -H "Authorization: Bearer [REDACTED:bearer]" x'],
    ['basic_auth', 'sent Basic c3ZjOmh1bnRlcjI= upstream', 'sent Basic [REDACTED:basic_auth] upstream'],
    ['aws_access_key', 'id AKIAIOSFODNN7EXAMPLE ok', 'id [REDACTED:aws_access_key] ok'],
    ['aws_secret_key', 'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=[REDACTED:aws_secret_key]'],
    ['github_token', 'GITHUB ghp_1234567890abcdefghijABCDEFGHIJ123456 x', 'GITHUB [REDACTED:github_token] x'],
    ['github_token', 'github_pat_11ABCDEFG0123456789abc_defghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV', '[REDACTED:github_token]'],
    ['slack_token', 'slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'slack [REDACTED:slack_token]'],
    ['slack_webhook', 'post https://hooks.slack.com/services/T0000AAAA/B0000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX now', 'post [REDACTED:slack_webhook] now'],
    ['stripe_key', 'sk_live_51H8abcdefghijklmnopqrstuv', '[REDACTED:stripe_key]'],
    ['anthropic_key', 'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345', 'key [REDACTED:anthropic_key]'],
    ['openai_key', 'key sk-proj-abcdefghij0123456789ABCDEFGHIJ', 'key [REDACTED:openai_key]'],
    ['google_api_key', 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW', '[REDACTED:google_api_key]'],
    ['azure_key', 'AccountName=x;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net', 'AccountName=x;AccountKey=[REDACTED:azure_key];EndpointSuffix=core.windows.net'],
    ['azure_key', 'https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sig=abcdEFGH1234%2Bxyz%3D&se=2026', 'https://acct.blob.core.windows.net/c/b?sv=2024-01-01&sig=[REDACTED:azure_key]&se=2026'],
    ['url_password', 'postgres://app:p4ssw0rd@db:5432/x', 'postgres://app:[REDACTED:url_password]@db:5432/x'],
    ['url_password', 'redis://:s3cret@cache:6379', 'redis://:[REDACTED:url_password]@cache:6379'],
    ['card_number', 'card 4111-1111-1111-1111 exp', 'card [REDACTED:card_number] exp'],
    ['card_number', 'amex 3782 822463 10005', 'amex [REDACTED:card_number]'],
    ['email', 'mail Jane.Doe+tag@sub.example.co.uk.', 'mail [REDACTED:email].'],
    ['phone', 'call +1 (415) 555-2671 now', 'call [REDACTED:phone] now'],
    ['phone', 'call 415-555-2671', 'call [REDACTED:phone]'],
    ['phone', 'appelez le 06 12 34 56 78', 'appelez le [REDACTED:phone]'],
    ['phone', 'ring 020 7946 0958', 'ring [REDACTED:phone]'],
    ['iban', 'IBAN DE89 3704 0044 0532 0130 00.', 'IBAN [REDACTED:iban].'],
    ['us_ssn', 'ssn is 536-22-1234', 'ssn is [REDACTED:us_ssn]'],
    ['key:password', 'login failed: password=hunter2 user=bob', 'login failed: password=[REDACTED:key:password] user=bob'],
    ['key:api_key', 'GET /v1?api_key=abc123&page=2', 'GET /v1?api_key=[REDACTED:key:api_key]&page=2'],
    ['key:password', '{"user":"bob","password":"hunter 2"}', '{"user":"bob","password":"[REDACTED:key:password]"}'],
    ['key:password', '{\\"password\\":\\"hunter2\\"}', '{\\"password\\":\\"[REDACTED:key:password]\\"}'],
    ['key:authorization', 'Authorization: Digest username="a", response="b"\nHost: x', 'Authorization: [REDACTED:key:authorization]\nHost: x'],
    ['key:password', 'Server=db;User Id=sa;Password=Pa55;Encrypt=true', 'Server=db;User Id=sa;Password=[REDACTED:key:password];Encrypt=true'],
  ])('%s: %s', (type, input, expected) => {
    const out = text(input);
    expect(out.value).toBe(expected);
    expect(out.types).toContain(type);
  });

  it('PEM private keys, multi-line, and fail closed without an END line', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabc=\n-----END RSA PRIVATE KEY-----';
    expect(text(`key:\n${pem}\nafter`).value).toBe('key:\n[REDACTED:pem_private_key]\nafter');
    expect(text('x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqh').value).toBe('x [REDACTED:pem_private_key]');
    expect(text('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----').count).toBe(0);
  });

  it('sk-ant- is reported as anthropic, not openai', () => {
    expect(text('sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345').types).toEqual(['anthropic_key']);
  });

  it('high-entropy tokens only when opted in', () => {
    const token = 'q8ZfR2kLm9XvB4tN7wYc1HsJ6pQe3Ud';
    expect(text(`opaque ${token}`).count).toBe(0);
    const he = createRedactor({ highEntropy: true });
    expect(he.redactText(`opaque ${token}`).value).toBe('opaque [REDACTED:high_entropy]');
    // hex digests, UUIDs and camelCase identifiers are not random secrets
    expect(he.redactText('sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08').count).toBe(0);
    expect(he.redactText('thisIsAVeryLongCamelCaseIdentifierName').count).toBe(0);
  });
});

describe('value rules leave innocuous data alone', () => {
  it.each([
    '2026-11-21T13:55:19.123Z',
    '2026-11-21 13:55:19+05:30',
    'Sat, 21 Nov 2026 13:55:19 GMT',
    '1763733319123',
    '550e8400-e29b-41d4-a716-446655440000',
    'ord_2026_000184',
    'INV-2026-000123',
    'price: 19.99 EUR, total 1,299.00',
    '$1,234,567.89',
    'max_tokens=1024 temperature=0.2',
    '/var/data/reports/2026/q3/summary.csv',
    'C:\\Users\\ada\\Documents\\report-2026.docx',
    "SELECT id, name FROM users WHERE created_at > '2026-01-01' ORDER BY id LIMIT 50",
    'version 1.32.0 (build 20261121.4)',
    '192.168.1.254:8080',
    'https://example.com/docs/api?page=2&sort=desc',
    'mcp.tool.arguments.hash=hmac:k1:9f86d081884c7d65',
    'git commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
    'Basic information about the Bearer of this letter',
    'the author tokenized 1500 tokens in 0.42s',
    'call me maybe at 10:30',
    'ISBN 978-3-16-148410-0',
    'lat 48.8566, lon 2.3522',
    'npm i @mcptrail/redact@0.1.0',
    'sk-learn-style-pipeline-without-digits',
  ])('%s', (input) => {
    const out = text(input);
    expect(out.value).toBe(input);
    expect(out.count).toBe(0);
  });
});

describe('checks', () => {
  it('Luhn, card brands and IBAN mod-97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(cardBrandValid('4111111111111111')).toBe(true);
    expect(cardBrandValid('1763733319123')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
  });

  it('a Luhn-invalid 16-digit number is not a card; SSN ranges are checked', () => {
    expect(text('ref 4111 1111 1111 1112').count).toBe(0);
    expect(text('id 000-12-3456 and 666-12-3456 and 123-00-4567').count).toBe(0);
  });
});
