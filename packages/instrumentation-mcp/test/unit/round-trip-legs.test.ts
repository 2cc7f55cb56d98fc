/**
 * Which server leg a multi-round-trip retry continues (2026-07-28): by the `requestState` it echoes, else by
 * the client's trace; never a guess when two pending legs share a key; bounded memory.
 * (The cross-process behaviour, with real SDK 2.x peers, is in test/process/server-span-links.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { RoundTripLegs } from '../../src/mcp-sdk/round-trip-legs';

const span = (remote = false): SpanContext => ({
  traceId: randomBytes(16).toString('hex'),
  spanId: randomBytes(8).toString('hex'),
  traceFlags: TraceFlags.SAMPLED,
  isRemote: remote,
});
const under = (sc: SpanContext) => trace.setSpanContext(ROOT_CONTEXT, sc);
const call = (name: string, params: Record<string, unknown> = {}) => ({ method: 'tools/call', params: { name, arguments: {}, ...params } });
const inputRequired = (requestState?: string) => ({ resultType: 'input_required', inputRequests: { ok: {} }, ...(requestState ? { requestState } : {}) });

describe('RoundTripLegs', () => {
  it('links a retry to the leg whose requestState it echoes, whoever the client is, and only once', () => {
    const legs = new RoundTripLegs();
    const leg1 = span();
    legs.ended(call('deploy'), inputRequired('s-1'), leg1, ROOT_CONTEXT);
    // Not a retry (no requestState, no inputResponses): nothing.
    expect(legs.retryLink(call('deploy'), ROOT_CONTEXT)).toBeUndefined();
    // Another tool echoing the same state is not this call's retry.
    expect(legs.retryLink(call('other', { requestState: 's-1' }), ROOT_CONTEXT)).toBeUndefined();
    expect(legs.retryLink(call('deploy', { requestState: 's-2' }), ROOT_CONTEXT)).toBeUndefined();
    expect(legs.retryLink(call('deploy', { requestState: 's-1', inputResponses: {} }), ROOT_CONTEXT)).toEqual({ context: leg1 });
    expect(legs.retryLink(call('deploy', { requestState: 's-1' }), ROOT_CONTEXT)).toBeUndefined();
    expect(legs.size).toBe(0);
  });

  it('without requestState, ties a retry to a leg of the same trace; no trace context ties nothing', () => {
    const legs = new RoundTripLegs();
    const client = span(true);
    const leg1 = span();
    legs.ended(call('confirm'), inputRequired(), leg1, under(client));
    const retryParent = under({ ...span(true), traceId: client.traceId });
    expect(legs.retryLink(call('confirm', { inputResponses: { ok: {} } }), under(span(true)))).toBeUndefined();
    expect(legs.retryLink(call('confirm', { inputResponses: { ok: {} } }), retryParent)).toEqual({ context: leg1 });

    legs.ended(call('confirm'), inputRequired(), span(), ROOT_CONTEXT);
    expect(legs.size).toBe(0);
  });

  it('links nothing when two pending legs share a key (a constant requestState), but still uses the other key', () => {
    const legs = new RoundTripLegs();
    const a = span(true);
    const b = span(true);
    const legA = span();
    legs.ended(call('confirm'), inputRequired('step-2'), legA, under(a));
    legs.ended(call('confirm'), inputRequired('step-2'), span(), under(b));
    expect(legs.retryLink(call('confirm', { requestState: 'step-2' }), ROOT_CONTEXT)).toBeUndefined();
    // The trace of A still tells A's retry apart.
    expect(legs.retryLink(call('confirm', { requestState: 'step-2' }), under({ ...span(true), traceId: a.traceId }))).toEqual({ context: legA });
  });

  it('keeps at most maxLegs, oldest out first, and forgets legs older than the TTL', () => {
    const legs = new RoundTripLegs(3, 60_000);
    const first = span();
    legs.ended(call('t'), inputRequired('s0'), first, ROOT_CONTEXT);
    for (let i = 1; i <= 3; i++) legs.ended(call('t'), inputRequired(`s${i}`), span(), ROOT_CONTEXT);
    expect(legs.size).toBe(3);
    expect(legs.retryLink(call('t', { requestState: 's0' }), ROOT_CONTEXT)).toBeUndefined();
    expect(legs.retryLink(call('t', { requestState: 's3' }), ROOT_CONTEXT)).toBeDefined();

    const expiring = new RoundTripLegs(10, 0);
    expiring.ended(call('t'), inputRequired('s'), span(), ROOT_CONTEXT);
    const until = Date.now() + 5;
    while (Date.now() <= until) {
      /* the TTL is 0 ms: let the clock move */
    }
    expect(expiring.retryLink(call('t', { requestState: 's' }), ROOT_CONTEXT)).toBeUndefined();
  });

  it('never throws on a malformed request', () => {
    const legs = new RoundTripLegs();
    const hostile = { method: 'tools/call', params: { get requestState(): string { throw new Error('boom'); }, name: 'x' } };
    expect(legs.retryLink(hostile as never, ROOT_CONTEXT)).toBeUndefined();
    expect(legs.retryLink({ method: 'tools/call' }, ROOT_CONTEXT)).toBeUndefined();
  });
});
