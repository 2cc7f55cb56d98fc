/**
 * Bounded work per call: an argument over the byte or node budget is never serialised, redacted or hashed
 * whole. Its audit record and span carry a truncation marker (never a cut-off redaction that could leave part
 * of a secret), the hash comes from a bounded view, and the size is still reported. Small arguments: unchanged.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { findLeaks, SECRET_CORPUS } from '../../../redact/test/fixtures/secret-corpus';
import { measure } from '../../src/value-budget';
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
    expect(span.attributes['mcp.tool.arguments.hash']).toMatch(/^hmac:/);
    expect(span.attributes['mcp.tool.arguments.size']).toBe(marker.$bytes);
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
