import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces, OtlpDecodeError } from '../../src/otlp/decode';
import { MAX_ANY_VALUE_DEPTH } from '../../src/otlp/item-rules';
import {
  deepAnyValue,
  encodeMessage,
  hex,
  LOGS_REQUEST,
  lenField,
  PARENT_ID,
  prng,
  protoSpan,
  SPAN_ID,
  TRACE_ID,
  TRACE_REQUEST,
  traceRequest,
} from './fixtures';

describe('decodeTraces (protobuf)', () => {
  it('decodes ids, kind, times, attributes of every AnyValue kind, events and status', () => {
    const body = traceRequest([
      protoSpan({
        attributes: [
          { key: 's', value: { stringValue: 'x' } },
          { key: 'b', value: { boolValue: true } },
          { key: 'i', value: { intValue: -7 } },
          { key: 'big', value: { intValue: '9007199254740993' } },
          { key: 'd', value: { doubleValue: 0.25 } },
          { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
          { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
          { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]) } },
          { key: 'empty', value: {} },
        ],
        events: [{ timeUnixNano: '1763700000500000000', name: 'exception', attributes: [{ key: 'e', value: { stringValue: 'v' } }] }],
      }),
    ]);
    const out = decodeTraces(body, 'protobuf');
    expect(out.rejected).toBe(0);
    expect(out.spans).toHaveLength(1);
    const s = out.spans[0]!;
    expect(s.traceId).toBe(TRACE_ID);
    expect(s.spanId).toBe(SPAN_ID);
    expect(s.parentSpanId).toBe(PARENT_ID);
    expect(s.kind).toBe(2);
    expect(s.startTimeUnixNano).toBe(1763700000123456789n);
    expect(s.endTimeUnixNano).toBe(1763700000987654321n);
    expect(s.attributes).toEqual({
      s: 'x',
      b: true,
      i: -7,
      big: 9007199254740993n,
      d: 0.25,
      arr: ['a', 1],
      kv: { k: false },
      bytes: new Uint8Array([1, 2, 3]),
      empty: null,
    });
    expect(s.events).toEqual([{ name: 'exception', timeUnixNano: 1763700000500000000n, attributes: { e: 'v' } }]);
    expect(s.status).toEqual({ code: 2, message: 'boom' });
    expect(s.resource.attributes['service.name']).toBe('weather-mcp');
    expect(s.scope).toEqual({ name: 'scope-a', version: '1.0.0' });
  });

  it('rejects spans with bad ids individually and keeps the rest', () => {
    const body = traceRequest([
      protoSpan(),
      protoSpan({ traceId: hex(TRACE_ID).subarray(0, 15) }),
      protoSpan({ spanId: Buffer.alloc(8) }),
      protoSpan({ traceId: Buffer.alloc(0) }),
      protoSpan({ parentSpanId: hex('0011') }),
      protoSpan({ spanId: hex('0102030405060708'), parentSpanId: Buffer.alloc(8) }),
    ]);
    const out = decodeTraces(body, 'protobuf');
    expect(out.spans.map((s) => s.spanId)).toEqual([SPAN_ID, '0102030405060708']);
    expect(out.spans[1]!.parentSpanId).toBeNull();
    expect(out.rejected).toBe(4);
    expect(out.rejectReason).toBe('resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 15');
  });

  it('applies a resource and scope that come after their spans on the wire', () => {
    const span = encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan());
    const scope = encodeMessage('opentelemetry.proto.common.v1.InstrumentationScope', { name: 'late-scope' });
    const resource = encodeMessage('opentelemetry.proto.resource.v1.Resource', {
      attributes: [{ key: 'service.name', value: { stringValue: 'late' } }],
    });
    const scopeSpans = Buffer.concat([lenField(2, span), lenField(1, scope)]);
    const body = lenField(1, Buffer.concat([lenField(2, scopeSpans), lenField(1, resource)]));
    const out = decodeTraces(body, 'protobuf');
    expect(out.spans[0]!.scope.name).toBe('late-scope');
    expect(out.spans[0]!.resource.attributes['service.name']).toBe('late');
  });

  it('skips unknown fields and keeps `__proto__` keys as plain data', () => {
    const span = encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan({ attributes: [{ key: '__proto__', value: { stringValue: 'p' } }] }));
    const unknown = Buffer.from([0xf8, 0x07, 0x01]); // field 127 varint
    const body = lenField(1, lenField(2, lenField(2, Buffer.concat([span, unknown]))));
    const out = decodeTraces(body, 'protobuf');
    const attrs = out.spans[0]!.attributes;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(attrs)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toBe('p');
  });

  it('treats an empty body as an empty request', () => {
    expect(decodeTraces(new Uint8Array(0), 'protobuf')).toEqual({ spans: [], rejected: 0, rejectReason: null });
  });

  it('names the offset of truncated protobuf', () => {
    const body = traceRequest([protoSpan()]);
    let errors = 0;
    for (let cut = 1; cut < body.length; cut++) {
      try {
        decodeTraces(body.subarray(0, cut), 'protobuf');
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError);
        expect((err as OtlpDecodeError).message).toMatch(/^invalid protobuf: .+ at offset \d+$/);
        errors++;
      }
    }
    expect(errors).toBe(body.length - 1); // a single top-level message: every prefix is cut mid-field
    expect(() => decodeTraces(body.subarray(0, 13), 'protobuf')).toThrow(/invalid protobuf: length \d+ runs past the end of the message at offset 1/);
  });

  it('never throws anything but OtlpDecodeError on random or mutated bytes', () => {
    const rand = prng(0x5eed);
    const valid = traceRequest([protoSpan(), protoSpan({ spanId: hex('0102030405060708') })]);
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      let body: Buffer;
      if (i % 2 === 0) {
        body = Buffer.alloc(Math.floor(rand() * 300));
        for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
      } else {
        body = Buffer.from(valid);
        for (let k = 0; k < 3; k++) body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
      }
      try {
        const out = decodeTraces(body, 'protobuf');
        expect(out.spans.length + out.rejected).toBeGreaterThanOrEqual(0);
        decoded++;
      } catch (err) {
        if (!(err instanceof OtlpDecodeError)) throw err;
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(decoded).toBeGreaterThan(0);
  });

  it('rejects a span whose attribute nests 10,000 levels deep without overflowing the stack', () => {
    const deep = lenField(9, Buffer.concat([lenField(1, Buffer.from('deep')), lenField(2, deepAnyValue(10_000))]));
    const badSpan = Buffer.concat([encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan()), deep]);
    const goodSpan = encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan({ spanId: hex('0102030405060708') }));
    const body = lenField(1, lenField(2, Buffer.concat([lenField(2, badSpan), lenField(2, goodSpan)])));
    const out = decodeTraces(body, 'protobuf');
    expect(out.spans.map((s) => s.spanId)).toEqual(['0102030405060708']);
    expect(out.rejected).toBe(1);
    expect(out.rejectReason).toMatch(/spans\[0\]\.attributes\.deep: value nests deeper than 64 levels/);
  });

  it('names an event attribute or a log body that nests too deep', () => {
    const deepAttr = Buffer.concat([lenField(1, Buffer.from('x')), lenField(2, deepAnyValue(70))]);
    const event = Buffer.concat([lenField(2, Buffer.from('ev')), lenField(3, deepAttr)]);
    const span = Buffer.concat([encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan()), lenField(11, event)]);
    const traces = decodeTraces(lenField(1, lenField(2, lenField(2, span))), 'protobuf');
    expect(traces.rejectReason).toBe('resourceSpans[0].scopeSpans[0].spans[0].events[0].attributes.x: value nests deeper than 64 levels');
    const log = lenField(5, deepAnyValue(70));
    const logs = decodeLogs(lenField(1, lenField(2, lenField(2, log))), 'protobuf');
    expect(logs.rejectReason).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].body: value nests deeper than 64 levels');
  });

  it(`accepts nesting up to ${MAX_ANY_VALUE_DEPTH} levels`, () => {
    const ok = lenField(9, Buffer.concat([lenField(1, Buffer.from('nested')), lenField(2, deepAnyValue(MAX_ANY_VALUE_DEPTH))]));
    const span = Buffer.concat([encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan()), ok]);
    const out = decodeTraces(lenField(1, lenField(2, lenField(2, span))), 'protobuf');
    expect(out.rejected).toBe(0);
    let v: unknown = out.spans[0]!.attributes.nested;
    let depth = 0;
    while (typeof v === 'object' && v !== null) {
      v = Array.isArray(v) ? v[0] : (v as Record<string, unknown>).k;
      depth++;
    }
    expect(depth).toBe(MAX_ANY_VALUE_DEPTH);
    expect(v).toBe('leaf');
  });

  it('passes huge attribute values through untouched (the trail truncates them)', () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const out = decodeTraces(traceRequest([protoSpan({ attributes: [{ key: 'huge', value: { stringValue: huge } }] })]), 'protobuf');
    expect((out.spans[0]!.attributes.huge as string).length).toBe(huge.length);
  });

  it('counts every span under a resource that cannot be used', () => {
    const deepResourceAttr = lenField(1, Buffer.concat([lenField(1, Buffer.from('r')), lenField(2, deepAnyValue(100))]));
    const span = encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan());
    const scope = lenField(2, Buffer.concat([lenField(2, span), lenField(2, span), lenField(2, span)]));
    const body = lenField(1, Buffer.concat([lenField(1, deepResourceAttr), scope]));
    const out = decodeTraces(body, 'protobuf');
    expect(out.spans).toHaveLength(0);
    expect(out.rejected).toBe(3);
    expect(out.rejectReason).toMatch(/^resourceSpans\[0\]\.resource\.attributes\.r: value nests deeper/);
  });

  it('refuses a body whose known field has the wrong wire type', () => {
    const body = Buffer.from([0x08, 0x01]); // resource_spans as a varint
    expect(() => decodeTraces(body, 'protobuf')).toThrow('invalid protobuf: field resourceSpans has wire type 0, expected 2 at offset 0');
  });
});

describe('decodeLogs (protobuf)', () => {
  const log = (overrides: Record<string, unknown> = {}) => ({
    timeUnixNano: '1763700000500000001',
    observedTimeUnixNano: '1763700000600000000',
    severityNumber: 9,
    severityText: 'INFO',
    body: { kvlistValue: { values: [{ key: 'tool', value: { stringValue: 'get_weather' } }] } },
    attributes: [{ key: 'mcp.session.id', value: { stringValue: 's-1' } }],
    flags: 1,
    traceId: hex(TRACE_ID),
    spanId: hex(SPAN_ID),
    eventName: 'mcp.audit.tool_call',
    ...overrides,
  });
  const request = (logs: unknown[]) =>
    encodeMessage(LOGS_REQUEST, { resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 'l' }, logRecords: logs }] }] });

  it('decodes every field', () => {
    const out = decodeLogs(request([log()]), 'protobuf');
    expect(out.rejected).toBe(0);
    const rec = out.logs[0]!;
    expect(rec).toMatchObject({
      timeUnixNano: 1763700000500000001n,
      observedTimeUnixNano: 1763700000600000000n,
      severityNumber: 9,
      severityText: 'INFO',
      body: { tool: 'get_weather' },
      attributes: { 'mcp.session.id': 's-1' },
      eventName: 'mcp.audit.tool_call',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
    });
  });

  it('falls back to the event.name attribute and treats absent or zero ids as null', () => {
    const out = decodeLogs(
      request([log({ eventName: '', attributes: [{ key: 'event.name', value: { stringValue: 'legacy.event' } }], traceId: Buffer.alloc(16), spanId: Buffer.alloc(0) })]),
      'protobuf',
    );
    expect(out.logs[0]!.eventName).toBe('legacy.event');
    expect(out.logs[0]!.traceId).toBeNull();
    expect(out.logs[0]!.spanId).toBeNull();
  });

  it('rejects a log record with a wrong id length and keeps the others', () => {
    const out = decodeLogs(request([log(), log({ spanId: hex('010203') })]), 'protobuf');
    expect(out.logs).toHaveLength(1);
    expect(out.rejected).toBe(1);
    expect(out.rejectReason).toBe('resourceLogs[0].scopeLogs[0].logRecords[1].spanId: expected 8 bytes, got 3');
  });

  it('accepts a trace request encoding as protobuf for the wrong signal without crashing', () => {
    expect(() => decodeLogs(encodeMessage(TRACE_REQUEST, { resourceSpans: [] }), 'protobuf')).not.toThrow();
  });
});
