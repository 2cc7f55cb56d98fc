/**
 * Bounded work per call: an argument over the byte or node budget is never serialised, redacted or hashed
 * whole. Its audit record and span carry a truncation marker (never a cut-off redaction that could leave part
 * of a secret), the hash comes from a bounded view, and the size is still reported. Small arguments: unchanged.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks, SECRET_CORPUS } from '../../../redact/test/fixtures/secret-corpus';
import { canonicalJson } from '@mcptrail/conventions';
import { canonicalBytesWithinBudget, jsonStringBytes, measure, measureJson } from '../../src/value-budget';

/** The walk's canonical bytes as text (undefined: it left the value to the general path). */
const canonicalWithinBudget = (v: unknown): string | undefined => {
  const bytes = canonicalBytesWithinBudget(v);
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
};
import { connectPair, createHarness, loadSdk, settle } from './helpers/harness';

const h = createHarness({ captureArguments: true, captureResults: true });
const sdk = loadSdk('current', h.instrumentation);
afterAll(() => h.instrumentation.disable());

const audited = () => h.logs().filter((l) => l.eventName === 'mcp.audit.tool_call');
const serverCall = () => h.spans().find((s) => s.name === 'tools/call store' && s.kind === 1);

describe('value budget', () => {
  beforeEach(() => h.reset());

  it('measures stop at the budget: a 10 MB string is one node, 200,000 objects stop at the node cap', () => {
    const big = measure('x'.repeat(10 * 1024 * 1024));
    expect(big).toMatchObject({ over: true, nodes: 1 });
    const many = measure(Array.from({ length: 200_000 }, (_, i) => ({ i })));
    expect(many.over).toBe(true);
    expect(many.nodes).toBeLessThanOrEqual(20_001);
    expect(measure({ city: 'Oslo', n: 3 })).toMatchObject({ over: false });
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(measure(cycle).over).toBe(true);
  });

  // The one-walk serialisers must agree byte for byte with the general path (the processor recomputes neither,
  // but the argument hash must equal canonicalJson's everywhere it is computed).
  const PLAIN: unknown[] = [
    {},
    [],
    { b: 1, a: [1, 'two', null, true, false, { z: -0, y: 1e21, x: 0.1 }], c: { nested: { deep: ['é', '✓'] } } },
    { 'é': 1, 'e': 2, 'Z': 3, '_': 4, '': 5, '\u{1F600}': 'emoji \u{1F600}', lone: '\ud800x', ctrl: '\u0000\b\t\n\f\r\u001f"\\' },
    { dropped: undefined, fn: () => 1, sym: Symbol('s'), kept: 1 },
    // Integer-like names (objects list them first, numerically; canonical JSON sorts them as strings) and
    // names shared across levels.
    { '10': 'ten', '9': 'nine', b: { '10': [{ a: 1, '9': 2 }], z: null }, a: { b: { a: [] } }, __proto__x: 1 },
    Object.assign(Object.create(null), { b: 1, a: 2 }),
    [undefined, () => 1, Symbol('s'), 1],
    'a string',
    42,
    null,
    { orderId: 'A-1042', include: ['items', 'shipping'], customer: { email: 'jane.doe@example.com', tier: 'gold' }, limit: 10 },
    // Past the walk's small-size shortcuts: more than 32 objects, more than 16 keys in one object.
    { rows: Array.from({ length: 40 }, (_, i) => ({ id: i, tags: [`t${i}`], z: { y: i } })) },
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${(i * 7919) % 40}`, i % 3 ? i : { ['n' + i]: [i] }])),
  ];

  it.each(PLAIN.map((v, i) => [i, v]))('one walk, plain value %i: canonical JSON and JSON size equal the general path', (_i, value) => {
    expect(canonicalWithinBudget(value)).toBe(canonicalJson(value));
    const json = JSON.stringify(value);
    expect(measureJson(value)).toEqual({ ...measure(value), size: json === undefined ? undefined : Buffer.byteLength(json, 'utf8') });
  });

  it('one walk leaves to the general path what it does not cover: over budget, toJSON, BigInt, non-finite, shared', () => {
    const shared = { a: 1 };
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    for (const v of [{ when: new Date(0) }, { toJSON: () => 'x', a: 1 }, { n: 10n }, { n: Number.NaN }, [shared, shared], cycle, 'x'.repeat(2 * 1024 * 1024)]) {
      expect(canonicalWithinBudget(v)).toBeUndefined();
      // JSON.stringify writes a non-finite number as null: its size is known.
      expect(measureJson(v).size).toBe(typeof v === 'object' && v !== null && 'n' in v && typeof v.n === 'number' ? 10 : undefined);
    }
    // Over budget: the same verdict and figures as measure (what the truncation marker reports).
    const many = Array.from({ length: 30_000 }, (_, i) => i);
    expect(measureJson(many)).toEqual(measure(many));
  });

  it('names an object inherits (`__proto__`, `constructor`) and class instances take the general path', () => {
    for (const v of [JSON.parse('{"__proto__":{"a":1},"x":1}'), { constructor: 'c', toString: 1 }, new (class Box { a = 1 })()]) {
      expect(canonicalWithinBudget(v)).toBeUndefined();
    }
  });

  it('canonical bytes escape and encode every BMP code unit, astral pairs and lone surrogates as canonicalJson does, past the scratch size', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) all += String.fromCharCode(c);
    const values = [{ [all.slice(0, 2048)]: all }, ['\u{1F600}\u{10FFFF}', 'a\udc00b', '\ud800', { '\udfff': '\ud83d' }], { big: 'é'.repeat(40_000) }];
    for (const v of values) expect(canonicalWithinBudget(v)).toBe(canonicalJson(v));
    // The view is only valid until the next call: each call's bytes are still right after another call.
    const first = Buffer.from(canonicalBytesWithinBudget({ b: 1, a: 'x' })!);
    canonicalBytesWithinBudget({ z: 'y'.repeat(20_000) });
    expect(first.toString('utf8')).toBe('{"a":"x","b":1}');
    expect(canonicalWithinBudget({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
  });

  it('jsonStringBytes is the UTF-8 length of JSON.stringify for every BMP code unit and astral pairs', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) all += String.fromCharCode(c);
    for (const s of [all, '\u{1F600}\u{10FFFF}', 'a\udc00b', '\ud800']) {
      expect(jsonStringBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s), 'utf8'));
    }
  });

  it.each([
    ['a 10 MB string', () => ({ notes: `${SECRET_CORPUS[0]!.value} ${'lorem ipsum '.repeat(900_000)}` })],
    ['200,000 small objects', () => ({ rows: Array.from({ length: 200_000 }, (_, i) => ({ i, key: i === 7 ? SECRET_CORPUS[1]!.value : 'v' })) })],
  ])('%s: marker in the audit record and on the span, bounded hash, size kept, no secret', async (_label, make) => {
    const server = new sdk.McpServer({ name: `budget ${_label}`, version: '1' });
    server.tool('store', 'Stores', { notes: sdk.z.any().optional(), rows: sdk.z.any().optional() }, async () => ({
      content: [{ type: 'text', text: 'ok' }],
    }));
    const { client, close } = await connectPair(sdk, server);
    const args = make();
    await client.callTool({ name: 'store', arguments: args });
    await settle();
    await settle();
    const record = audited().find((l) => l.attributes['gen_ai.tool.name'] === 'store')!;
    expect(record).toBeDefined();
    const marker = JSON.parse(String(record.attributes['gen_ai.tool.call.arguments']));
    expect(marker.$truncated).toBe(true);
    expect(marker.$bytes).toBeGreaterThan(100_000); // exact up to the budget, a lower bound past it
    const span = serverCall()!;
    expect(JSON.parse(String(span.attributes['gen_ai.tool.call.arguments']))).toMatchObject({ $truncated: true });
    // The server's hash and size are on its audit record (README, "Where each attribute is"); the client span has them too.
    const clientSpan = h.spans().find((s) => s.name === 'tools/call store' && s.kind === 2)!;
    for (const a of [record.attributes, clientSpan.attributes]) {
      expect(a['mcp.tool.arguments.hash']).toMatch(/^hmac:/);
      expect(a['mcp.tool.arguments.size']).toBe(marker.$bytes);
    }
    const text = JSON.stringify({ s: h.spans().map((x) => x.attributes), l: h.logs().map((x) => x.attributes) });
    expect(findLeaks(text)).toEqual([]);
    expect(text.length).toBeLessThan(100_000);
    await close();
  });

  it('control: a small argument is redacted and exported as before', async () => {
    const server = new sdk.McpServer({ name: 'budget small', version: '1' });
    server.tool('store', 'Stores', { notes: sdk.z.any().optional() }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
    const { client, close } = await connectPair(sdk, server);
    await client.callTool({ name: 'store', arguments: { notes: 'meet at noon' } });
    await settle();
    await settle();
    const record = audited().find((l) => l.attributes['gen_ai.tool.name'] === 'store')!;
    expect(JSON.parse(String(record.attributes['gen_ai.tool.call.arguments']))).toEqual({ notes: 'meet at noon' });
    await close();
  });
});
