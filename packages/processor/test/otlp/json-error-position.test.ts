import { describe, expect, it } from 'vitest';
import { jsonErrorPosition } from '../../src/otlp/json-error-position';
import { prng } from './fixtures';

describe('jsonErrorPosition', () => {
  it('names the first bad character', () => {
    expect(jsonErrorPosition('{"a":}')).toBe(5);
    expect(jsonErrorPosition('{"a":1}x')).toBe(7);
    expect(jsonErrorPosition('[1,2,]')).toBe(5);
    expect(jsonErrorPosition('{"a" 1}')).toBe(5);
    expect(jsonErrorPosition('{"a":tru}')).toBe(8);
    expect(jsonErrorPosition('"\\x"')).toBe(2);
    expect(jsonErrorPosition('[')).toBe(1);
    expect(jsonErrorPosition('')).toBe(0);
  });

  it('agrees with JSON.parse on validity for random mutations, and never recurses', () => {
    const base = JSON.stringify({ a: [1, -2.5e3, 'x\\"y\u00e9', true, false, null, { b: {} }], c: [] });
    const alphabet = '{}[]",:-+.0123456789eEtrufalsn\\ \n x';
    const rand = prng(42);
    for (let i = 0; i < 5000; i++) {
      const chars = base.split('');
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * chars.length);
        const ch = alphabet[Math.floor(rand() * alphabet.length)] as string;
        const op = rand();
        if (op < 0.4) chars[at] = ch;
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, ch);
      }
      const text = chars.join('');
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const pos = jsonErrorPosition(text);
      if (valid) expect(pos, text).toBe(-1);
      else expect(pos, text).toBeGreaterThanOrEqual(0);
    }
    expect(jsonErrorPosition('['.repeat(1_000_000))).toBe(1_000_000);
  });
});
