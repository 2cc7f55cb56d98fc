import { createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { RAW_PASSWORDS, SECRET_CORPUS, findLeaks, leakNeedles, secretArgs, secretParts } from './fixtures/secret-corpus';

/** Stricter than findLeaks: not even an 8-char fragment of a secret part may survive. */
function fragments(value: string, output: string): string[] {
  const found: string[] = [];
  for (const part of secretParts(value)) {
    const bare = part.replace(/[\s-]/g, '');
    for (let i = 0; i + 8 <= bare.length; i++) {
      const w = bare.slice(i, i + 8);
      if (output.replace(/[\s-]/g, '').includes(w)) found.push(w);
    }
  }
  return found;
}

const redactor = createRedactor({ hmacKey: 'corpus-test-key-0123456789' });

describe('secret corpus fixture', () => {
  it('has at least 36 secrets of at least 16 kinds', () => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(36);
    expect(new Set(SECRET_CORPUS.map((s) => s.kind)).size).toBeGreaterThanOrEqual(16);
  });

  it('findLeaks finds every value, in strings, raw bytes and gzip bytes', async () => {
    const { gzipSync } = await import('node:zlib');
    for (const s of SECRET_CORPUS) {
      const text = `prefix ${s.value} suffix`;
      expect(findLeaks(text), s.kind).not.toEqual([]);
      expect(findLeaks(Buffer.from(text)), s.kind).not.toEqual([]);
      expect(findLeaks(new Uint8Array(gzipSync(text))), s.kind).not.toEqual([]);
    }
    expect(findLeaks('nothing to see here')).toEqual([]);
  });

  it('findLeaks finds a PEM body line on its own and a password without its key', () => {
    const pem = SECRET_CORPUS.find((s) => s.kind === 'pem_rsa_private_key')!;
    const line = pem.value.split('\n')[5]!;
    expect(findLeaks(JSON.stringify({ leaked: line }))).toEqual([expect.any(String)]);
    expect(findLeaks(`x${RAW_PASSWORDS[0]}x`)).toContain(RAW_PASSWORDS[0]);
  });
});

describe('every corpus value is redacted', () => {
  it.each(SECRET_CORPUS.map((s, i) => [`${i} ${s.kind}`, s] as const))('%s', (_name, s) => {
    const text = redactor.redactText(`while calling the tool: ${s.value} (retry later)`);
    expect(findLeaks(text.value), `redactText ${s.kind}: ${text.value}`).toEqual([]);
    expect(text.count).toBeGreaterThan(0);
    expect(fragments(s.value, text.value), text.value).toEqual([]);

    const deep = redactor.redact({ innocuous: s.value, list: [s.value], nested: { text: `see ${s.value}` } });
    expect(findLeaks(JSON.stringify(deep.value)), `redact ${s.kind}`).toEqual([]);

    const attrs = redactor.redactAttributes({ 'app.note': s.value, 'app.items': [s.value, 'ok'], 'app.json': JSON.stringify({ x: s.value }) });
    expect(findLeaks(JSON.stringify(attrs.value)), `redactAttributes ${s.kind}`).toEqual([]);
  });

  it('secretArgs() redacts clean and keeps innocuous data', () => {
    const args = secretArgs();
    expect(findLeaks(JSON.stringify(args)).length).toBeGreaterThanOrEqual(SECRET_CORPUS.length);
    const r = redactor.redact(args);
    expect(findLeaks(JSON.stringify(r.value))).toEqual([]);
    const v = r.value as {
      city: string;
      max_tokens: number;
      order_id: string;
      requested_at: string;
      headers: Record<string, string>;
      connection: { options: unknown };
    };
    expect(v.city).toBe('Paris');
    expect(v.max_tokens).toBe(1024);
    expect(v.order_id).toBe('ord_2026_000184');
    expect(v.requested_at).toBe('2026-11-21T13:55:19.123Z');
    expect(v.headers['Content-Type']).toBe('application/json');
    expect(v.headers['User-Agent']).toBe('mcptrail-tests/1.0');
    expect(v.connection.options).toEqual({ ssl: true, poolSize: 10 });
    expect(r.truncated).toBe(false);
  });

  it('needles are distinctive (never shorter than 12 chars except whole short values)', () => {
    for (const s of SECRET_CORPUS) for (const n of leakNeedles(s.value)) expect(n.length >= 12 || n === s.value).toBe(true);
  });
});
