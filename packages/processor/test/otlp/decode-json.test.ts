import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeTraces, OtlpDecodeError } from '../../src/otlp/decode';
import { PARENT_ID, SPAN_ID, TRACE_ID } from './fixtures';

const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const jsonSpan = (overrides: Record<string, unknown> = {}) => ({
  traceId: TRACE_ID.toUpperCase(),
  spanId: SPAN_ID,
  parentSpanId: PARENT_ID,
  name: 'tools/call get_weather',
  kind: 2,
  startTimeUnixNano: '1763700000123456789',
  endTimeUnixNano: 1763700000987654,
  attributes: [
    { key: 's', value: { stringValue: 'x' } },
    { key: 'i', value: { intValue: '42' } },
    { key: 'n', value: { intValue: 43 } },
    { key: 'big', value: { intValue: '-9223372036854775808' } },
    { key: 'd', value: { doubleValue: 1.5 } },
    { key: 'nan', value: { doubleValue: 'NaN' } },
    { key: 'arr', value: { arrayValue: { values: [{ boolValue: true }, { stringValue: 'a' }] } } },
    { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { intValue: 1 } }] } } },
    { key: 'bytes', value: { bytesValue: Buffer.from([7, 8]).toString('base64') } },
  ],
  status: { code: 2, message: 'boom' },
  events: [{ timeUnixNano: '5', name: 'e', attributes: [] }],
  unknownField: { anything: true },
  ...overrides,
});

const traces = (spans: unknown[]) =>
  enc({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'sc', version: '2' }, spans }],
        schemaUrl: 'https://example.invalid/schema',
      },
    ],
  });

describe('decodeTraces (JSON)', () => {
  it('decodes hex ids, integer enums, 64-bit ints as strings or numbers, and ignores unknown fields', () => {
    const out = decodeTraces(traces([jsonSpan()]), 'json');
    expect(out.rejected).toBe(0);
    const s = out.spans[0]!;
    expect(s.traceId).toBe(TRACE_ID);
    expect(s.spanId).toBe(SPAN_ID);
    expect(s.parentSpanId).toBe(PARENT_ID);
    expect(s.kind).toBe(2);
    expect(s.startTimeUnixNano).toBe(1763700000123456789n);
    expect(s.endTimeUnixNano).toBe(1763700000987654n);
    expect(s.attributes).toEqual({
      s: 'x',
      i: 42,
      n: 43,
      big: -9223372036854775808n,
      d: 1.5,
      nan: Number.NaN,
      arr: [true, 'a'],
      kv: { k: 1 },
      bytes: new Uint8Array([7, 8]),
    });
    expect(s.status).toEqual({ code: 2, message: 'boom' });
    expect(s.events).toEqual([{ timeUnixNano: 5n, name: 'e', attributes: {} }]);
    expect(s.resource.attributes).toEqual({ 'service.name': 'svc' });
    expect(s.scope).toEqual({ name: 'sc', version: '2' });
  });

  it('accepts enum names too', () => {
    const out = decodeTraces(traces([jsonSpan({ kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_OK' } })]), 'json');
    expect(out.spans[0]!.kind).toBe(3);
    expect(out.spans[0]!.status.code).toBe(1);
  });

  it('ignores snake_case keys (OTLP/JSON uses lowerCamelCase only)', () => {
    const out = decodeTraces(enc({ resource_spans: [{ scope_spans: [{ spans: [jsonSpan()] }] }] }), 'json');
    expect(out).toEqual({ spans: [], rejected: 0, rejectReason: null });
  });

  it('rejects spans with wrong id lengths, naming the path, and keeps the rest', () => {
    const out = decodeTraces(
      traces([jsonSpan(), jsonSpan({ traceId: TRACE_ID.slice(2) }), jsonSpan({ spanId: '0'.repeat(16) }), jsonSpan({ spanId: 'zz'.repeat(8) })]),
      'json',
    );
    expect(out.spans).toHaveLength(1);
    expect(out.rejected).toBe(3);
    expect(out.rejectReason).toBe('resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex chars, got 30');
  });

  it('rejects a span with a malformed field value, naming it', () => {
    const out = decodeTraces(traces([jsonSpan({ startTimeUnixNano: 'yesterday' }), jsonSpan()]), 'json');
    expect(out.spans).toHaveLength(1);
    expect(out.rejectReason).toMatch(/^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: expected an unsigned integer/);
  });

  it('rejects a span whose attribute nests 10,000 levels deep, without a stack overflow', () => {
    let v = '{"stringValue":"leaf"}';
    for (let i = 0; i < 10_000; i++) v = `{"arrayValue":{"values":[${v}]}}`;
    const deep = `{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","attributes":[{"key":"deep","value":${v}}]}`;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[${deep},${JSON.stringify(jsonSpan())}]}]}]}`;
    const out = decodeTraces(enc(body), 'json');
    expect(out.spans).toHaveLength(1);
    expect(out.rejected).toBe(1);
    expect(out.rejectReason).toMatch(/spans\[0\]\.attributes\[0\]\.value(\.arrayValue\.values\[0\])+: value nests deeper than 64 levels$/);
  });

  it('refuses invalid JSON with the position and without echoing the body', () => {
    const secret = 'sk-live-0123456789abcdef';
    for (const bad of ['{"a":}', `{"resourceSpans": [${secret}]}`]) {
      try {
        decodeTraces(enc(bad), 'json');
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(OtlpDecodeError);
        expect((err as Error).message).toMatch(/^invalid JSON at position \d+$/);
        expect((err as Error).message).not.toContain(secret);
      }
    }
    expect(() => decodeTraces(enc('{"resourceSpans": ['), 'json')).toThrow(/^invalid JSON/);
    expect(() => decodeTraces(enc(''), 'json')).toThrow('invalid JSON: empty body');
  });

  it('refuses containers of the wrong type with the path', () => {
    expect(() => decodeTraces(enc('[]'), 'json')).toThrow('request body: expected an object, got array');
    expect(() => decodeTraces(enc({ resourceSpans: {} }), 'json')).toThrow('resourceSpans: expected an array, got object');
    expect(() => decodeTraces(enc({ resourceSpans: [{ scopeSpans: [{ spans: 'x' }] }] }), 'json')).toThrow(
      'resourceSpans[0].scopeSpans[0].spans: expected an array, got string',
    );
  });

  it('keeps `__proto__` attribute keys as data', () => {
    const out = decodeTraces(enc(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","attributes":[{"key":"__proto__","value":{"stringValue":"p"}}]}]}]}]}`), 'json');
    const attrs = out.spans[0]!.attributes;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(attrs, '__proto__')?.value).toBe('p');
  });
});

describe('decodeLogs (JSON)', () => {
  const logs = (records: unknown[]) => enc({ resourceLogs: [{ resource: {}, scopeLogs: [{ scope: { name: 'l' }, logRecords: records }] }] });

  it('decodes every field, severity names included', () => {
    const out = decodeLogs(
      logs([
        {
          timeUnixNano: '1763700000500000001',
          observedTimeUnixNano: 1,
          severityNumber: 'SEVERITY_NUMBER_WARN2',
          severityText: 'WARN',
          body: { stringValue: 'hello' },
          attributes: [{ key: 'event.name', value: { stringValue: 'mcp.audit.tool_call' } }],
          flags: 1,
          traceId: TRACE_ID,
          spanId: SPAN_ID,
        },
      ]),
      'json',
    );
    expect(out.logs[0]).toMatchObject({
      timeUnixNano: 1763700000500000001n,
      observedTimeUnixNano: 1n,
      severityNumber: 14,
      severityText: 'WARN',
      body: 'hello',
      eventName: 'mcp.audit.tool_call',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
    });
  });

  it('rejects a record with a bad id and keeps the rest', () => {
    const out = decodeLogs(logs([{ eventName: 'a' }, { eventName: 'b', traceId: 'abc' }]), 'json');
    expect(out.logs.map((l) => l.eventName)).toEqual(['a']);
    expect(out.logs[0]!.traceId).toBeNull();
    expect(out.rejected).toBe(1);
    expect(out.rejectReason).toBe('resourceLogs[0].scopeLogs[0].logRecords[1].traceId: expected 32 hex chars, got 3');
  });
});

describe('JSON rejection reasons', () => {
  it('never echo a value', () => {
    const secret = 'AKIAIOSFODNN7EXAMPLE';
    const body = enc({ resourceSpans: [{ scopeSpans: [{ spans: [jsonSpan({ kind: secret }), jsonSpan({ status: { code: secret } }), jsonSpan({ traceId: secret })] }] }] });
    const out = decodeTraces(body, 'json');
    expect(out.rejected).toBe(3);
    expect(out.rejectReason).toBe('resourceSpans[0].scopeSpans[0].spans[0].kind: expected an enum integer or name, got an unknown name');
    expect(out.rejectReason).not.toContain(secret);
  });
});
