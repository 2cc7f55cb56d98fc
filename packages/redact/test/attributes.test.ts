import { ATTR_MCP_SESSION_ID } from '@mcptrail/conventions';
import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';

const r = createRedactor();

describe('redactAttributes', () => {
  it('applies key rules to the whole dotted key and its last segment', () => {
    const out = r.redactAttributes({
      'http.request.header.authorization': ['Bearer abc'],
      'http.request.header.x-api-key': ['k'],
      'db.connection.password': 'p',
      'http.request.method': 'POST',
      'gen_ai.usage.input_tokens': 120,
    });
    expect(out.value).toEqual({
      'http.request.header.authorization': '[REDACTED:key:authorization]',
      'http.request.header.x-api-key': '[REDACTED:key:api_key]',
      'db.connection.password': '[REDACTED:key:password]',
      'http.request.method': 'POST',
      'gen_ai.usage.input_tokens': 120,
    });
    expect(out.count).toBe(3);
  });

  it('keeps identifying attributes such as mcp.session.id (value rules still apply)', () => {
    const out = r.redactAttributes({ [ATTR_MCP_SESSION_ID]: 'sess-42', 'session.id': 'a.b@example.com' });
    expect(out.value).toEqual({ [ATTR_MCP_SESSION_ID]: 'sess-42', 'session.id': '[REDACTED:email]' });
  });

  it('value rules on strings and string arrays; numbers checked for card numbers', () => {
    const out = r.redactAttributes({
      'url.full': 'https://api.example.com/v1?api_key=abc123&q=1',
      'app.recipients': ['a.b@example.com', 'ok'],
      'app.card': 4111111111111111,
      'app.count': 3,
      'app.flag': true,
    });
    expect(out.value).toEqual({
      'url.full': 'https://api.example.com/v1?api_key=[REDACTED:key:api_key]&q=1',
      'app.recipients': ['[REDACTED:email]', 'ok'],
      'app.card': '[REDACTED:card_number]',
      'app.count': 3,
      'app.flag': true,
    });
  });

  it('parses JSON strings, redacts them and re-serialises only when something changed', () => {
    const untouched = '{ "city": "Paris",  "days": 5 }';
    const out = r.redactAttributes({
      'gen_ai.tool.call.arguments': JSON.stringify({ city: 'Paris', apiKey: 'zzz', contact: 'a.b@example.com' }),
      'gen_ai.tool.call.result': untouched,
      'app.not_json': '{ broken json password=hunter22',
    });
    expect(JSON.parse(out.value['gen_ai.tool.call.arguments'] as string)).toEqual({ city: 'Paris', apiKey: '[REDACTED:key:api_key]', contact: '[REDACTED:email]' });
    expect(out.value['gen_ai.tool.call.result']).toBe(untouched);
    expect(out.value['app.not_json']).toBe('{ broken json password=[REDACTED:key:password]');
  });

  it('log attributes may hold maps: they are redacted deeply', () => {
    const out = r.redactAttributes({ 'mcp.tool.arguments': { user: { password: 'x', name: 'Ada' } } });
    expect(out.value).toEqual({ 'mcp.tool.arguments': { user: { password: '[REDACTED:key:password]', name: 'Ada' } } });
  });

  it('does not mutate its input and tolerates junk', () => {
    const input = { password: 'x' };
    r.redactAttributes(input);
    expect(input).toEqual({ password: 'x' });
    expect(r.redactAttributes(null as unknown as Record<string, unknown>).value).toEqual({});
    expect(r.redactAttributes({ u: undefined }).value).toEqual({});
  });
});
