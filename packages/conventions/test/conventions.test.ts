import { describe, expect, it } from 'vitest';
import * as conv from '../src/index';
import { AUDIT_RECORD_FIELDS, AUDIT_RECORD_JSON_SCHEMA, canonicalJson } from '../src/index';

describe('attribute names', () => {
  it('are unique, lowercase dotted names', () => {
    const names = Object.entries(conv)
      .filter(([k]) => k.startsWith('ATTR_'))
      .map(([, v]) => v as string);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);
  });
});

describe('audit record schema', () => {
  it('lists every required field among its properties', () => {
    for (const f of AUDIT_RECORD_JSON_SCHEMA.required) expect(AUDIT_RECORD_FIELDS).toContain(f);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"z":1}]},"b":1}',
    );
  });
  it('is independent of insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
  it('rejects cycles and non-finite numbers', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cyclic/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
  });
  it('allows the same object twice when not cyclic', () => {
    const shared = { k: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"k":1},{"k":1}]');
  });
});
