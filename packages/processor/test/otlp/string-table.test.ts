import { describe, expect, it } from 'vitest';
import { StringTable } from '../../src/otlp/string-table';

describe('StringTable', () => {
  it('returns the same text as a direct decode, for ASCII, multi-byte, long and colliding strings', () => {
    const table = new StringTable();
    const words = ['mcp.method.name', 'gen_ai.tool.name', 'ключ', '名前', '', 'x'.repeat(200), ...Array.from({ length: 10_000 }, (_, i) => `k${i}`)];
    const buf = Buffer.from(words.join('|'));
    for (let round = 0; round < 2; round++) {
      let at = 0;
      for (const w of words) {
        const n = Buffer.byteLength(w);
        expect(table.decode(buf, at, at + n)).toBe(w);
        at += n + 1;
      }
    }
  });

  it('does not confuse same-length strings that share a slot', () => {
    const table = new StringTable();
    const a = Buffer.from('aaaa');
    const b = Buffer.from('aaab');
    expect(table.decode(a, 0, 4)).toBe('aaaa');
    expect(table.decode(b, 0, 4)).toBe('aaab');
    expect(table.decode(a, 0, 4)).toBe('aaaa');
  });
});
