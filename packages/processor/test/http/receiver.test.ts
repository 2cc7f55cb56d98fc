import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadError } from '../../src/http/receiver';
import { otlpType } from '../../src/otlp/schema';
import { deepAnyValue, encodeMessage, hex, lenField, protoSpan, SPAN_ID, TRACE_RESPONSE, traceRequest } from '../otlp/fixtures';
import { post, type RecordingSink, startReceiver } from './helpers';

const decodeStatus = (body: Buffer) => otlpType('google.rpc.Status').toObject(otlpType('google.rpc.Status').decode(body));
const decodeTraceResponse = (body: Buffer) =>
  otlpType(TRACE_RESPONSE).toObject(otlpType(TRACE_RESPONSE).decode(body), { longs: Number });

const MAX = 1024 * 1024;

describe('OTLP/HTTP receiver: statuses and messages', () => {
  let url: string;
  let sink: RecordingSink;
  let close: () => Promise<void>;
  let firstSpanCount = 0;

  beforeAll(async () => {
    const s = await startReceiver({
      maxBodyBytes: MAX,
      api: async (_req, res, u) => {
        if (u.pathname !== '/healthz') return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return true;
      },
    });
    url = s.url;
    sink = s.sink;
    close = () => s.receiver.close();
    // A request accepted before all the bad ones below: it must stay accepted and untouched.
    const ok = await post(`${url}/v1/traces`, traceRequest([protoSpan()]));
    expect(ok.status).toBe(200);
    firstSpanCount = sink.receivedSpans.length;
  });
  afterAll(async () => {
    // Still up, still serving, and the first request is as it was.
    const again = await post(`${url}/v1/traces`, traceRequest([protoSpan({ spanId: hex('0102030405060708') })]));
    expect(again.status).toBe(200);
    expect(sink.receivedSpans[0]!.spanId).toBe(SPAN_ID);
    expect(firstSpanCount).toBe(1);
    await close();
  });

  it('answers 200 with an empty ExportTraceServiceResponse (protobuf) and {} (JSON)', async () => {
    const p = await post(`${url}/v1/traces`, traceRequest([protoSpan()]));
    expect(p.status).toBe(200);
    expect(p.headers.get('content-type')).toBe('application/x-protobuf');
    expect(p.body.length).toBe(0);
    const j = await post(`${url}/v1/traces`, '{"resourceSpans":[]}', { contentType: 'application/json; charset=utf-8' });
    expect(j.status).toBe(200);
    expect(j.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(j.text)).toEqual({});
  });

  it('accepts an empty protobuf body as an empty request; refuses an empty JSON body', async () => {
    const before = sink.traceBatches.length;
    expect((await post(`${url}/v1/traces`, new Uint8Array(0))).status).toBe(200);
    expect(sink.traceBatches.length).toBe(before); // nothing to store: the sink is not called
    const j = await post(`${url}/v1/traces`, '', { contentType: 'application/json' });
    expect(j.status).toBe(400);
    expect(JSON.parse(j.text)).toEqual({ code: 3, message: 'invalid JSON: empty body (an empty export request is "{}")' });
  });

  it('400 for truncated and random protobuf, with google.rpc.Status in protobuf', async () => {
    const body = traceRequest([protoSpan()]);
    const t = await post(`${url}/v1/traces`, body.subarray(0, 13));
    expect(t.status).toBe(400);
    expect(t.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_OTLP_DECODE');
    expect(decodeStatus(t.body)).toEqual({ code: 3, message: expect.stringMatching(/^invalid protobuf: .* at offset \d+$/) });
    const random = Buffer.from('ffffffffffffffffffff0a0b0c', 'hex');
    const r = await post(`${url}/v1/logs`, random);
    expect(r.status).toBe(400);
    expect(decodeStatus(r.body).message).toMatch(/^invalid protobuf: /);
  });

  it('400 for invalid JSON, naming the position', async () => {
    const r = await post(`${url}/v1/traces`, '{"resourceSpans": [}', { contentType: 'application/json' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({ code: 3, message: 'invalid JSON at position 19' });
  });

  it('415 for a wrong or missing content type, naming it', async () => {
    const r = await post(`${url}/v1/traces`, 'hello', { contentType: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_OTLP_UNSUPPORTED_MEDIA_TYPE');
    expect(JSON.parse(r.text).message).toBe('unsupported Content-Type "text/plain"; use application/x-protobuf or application/json');
    const m = await post(`${url}/v1/traces`, new Uint8Array([1]), { contentType: null });
    expect(m.status).toBe(415);
    expect(JSON.parse(m.text).message).toMatch(/^missing Content-Type/);
  });

  it('415 for an unknown Content-Encoding and 400 for corrupt gzip', async () => {
    const r = await post(`${url}/v1/traces`, traceRequest([protoSpan()]), { encoding: 'br' });
    expect(r.status).toBe(415);
    expect(decodeStatus(r.body).message).toBe('unsupported Content-Encoding "br"; use gzip or none');
    const g = await post(`${url}/v1/traces`, Buffer.from('not gzip at all'), { encoding: 'gzip' });
    expect(g.status).toBe(400);
    expect(g.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_OTLP_BAD_COMPRESSION');
    expect(decodeStatus(g.body).message).toMatch(/^invalid gzip body: /);
    const cut = zlib.gzipSync(traceRequest([protoSpan()]));
    const c = await post(`${url}/v1/traces`, cut.subarray(0, cut.length - 10), { encoding: 'gzip' });
    expect(c.status).toBe(400);
    expect(decodeStatus(c.body).message).toBe('invalid gzip body: unexpected end of compressed data');
  });

  it('accepts gzip and deflate bodies', async () => {
    const before = sink.receivedSpans.length;
    expect((await post(`${url}/v1/traces`, zlib.gzipSync(traceRequest([protoSpan()])), { encoding: 'gzip' })).status).toBe(200);
    expect((await post(`${url}/v1/traces`, zlib.deflateSync(traceRequest([protoSpan()])), { encoding: 'deflate' })).status).toBe(200);
    expect(sink.receivedSpans.length).toBe(before + 2);
  });

  it('partial_success with accurate rejected_spans for wrong id lengths; the rest is accepted', async () => {
    const before = sink.receivedSpans.length;
    const body = traceRequest([protoSpan(), protoSpan({ traceId: hex('00112233') }), protoSpan({ spanId: hex('01') })]);
    const r = await post(`${url}/v1/traces`, body);
    expect(r.status).toBe(200);
    expect(decodeTraceResponse(r.body)).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 4' },
    });
    expect(sink.receivedSpans.length).toBe(before + 1);

    const json = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abcd', spanId: SPAN_ID }, { traceId: 'a'.repeat(32), spanId: SPAN_ID }] }] }],
    };
    const j = await post(`${url}/v1/traces`, JSON.stringify(json), { contentType: 'application/json' });
    expect(j.status).toBe(200);
    expect(JSON.parse(j.text)).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex chars, got 4' },
    });
  });

  it('adds the sink’s own rejections to partial_success', async () => {
    sink.extraRejected = 1;
    try {
      const r = await post(`${url}/v1/traces`, traceRequest([protoSpan(), protoSpan({ spanId: hex('0a') })]));
      expect(decodeTraceResponse(r.body).partialSuccess).toEqual({
        rejectedSpans: 2,
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 8 bytes, got 1; sink refused some',
      });
    } finally {
      sink.extraRejected = 0;
    }
  });

  it('passes a huge attribute value through (below the body cap)', async () => {
    const huge = 'v'.repeat(200 * 1024);
    const r = await post(`${url}/v1/traces`, traceRequest([protoSpan({ attributes: [{ key: 'big', value: { stringValue: huge } }] })]));
    expect(r.status).toBe(200);
    expect(sink.receivedSpans.at(-1)!.attributes.big).toBe(huge);
  });

  it('rejects only the span with a 10,000-level nested value (protobuf and JSON)', async () => {
    const deep = lenField(9, Buffer.concat([lenField(1, Buffer.from('deep')), lenField(2, deepAnyValue(10_000))]));
    const bad = Buffer.concat([encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan()), deep]);
    const good = encodeMessage('opentelemetry.proto.trace.v1.Span', protoSpan());
    const p = await post(`${url}/v1/traces`, lenField(1, lenField(2, Buffer.concat([lenField(2, bad), lenField(2, good)]))));
    expect(p.status).toBe(200);
    expect(decodeTraceResponse(p.body).partialSuccess.rejectedSpans).toBe(1);

    let v = '{"stringValue":"x"}';
    for (let i = 0; i < 10_000; i++) v = `{"kvlistValue":{"values":[{"key":"k","value":${v}}]}}`;
    const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${v}},{"eventName":"ok"}]}]}]}`;
    const j = await post(`${url}/v1/logs`, body, { contentType: 'application/json' });
    expect(j.status).toBe(200);
    expect(JSON.parse(j.text).partialSuccess.rejectedLogRecords).toBe('1');
    expect(sink.receivedLogs.at(-1)!.eventName).toBe('ok');
  });

  it('413 for a body over the cap, uncompressed', async () => {
    const r = await post(`${url}/v1/traces`, Buffer.alloc(MAX + 1));
    expect(r.status).toBe(413);
    expect(decodeStatus(r.body).message).toBe(`request body size exceeds the limit of ${MAX} bytes`);
  });

  it('413 for a gzip bomb (1 GiB of zeros), keeping memory bounded', async () => {
    // 1,024 gzip members of 1 MiB of zeros each: ~1 MiB on the wire, 1 GiB once inflated.
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = sink.traceBatches.length;
    const rssBefore = process.memoryUsage().rss;
    const r = await post(`${url}/v1/traces`, bomb, { encoding: 'gzip' });
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(r.status).toBe(413);
    expect(r.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_OTLP_BODY_TOO_LARGE');
    expect(decodeStatus(r.body).message).toBe(`request body size after decompression exceeds the limit of ${MAX} bytes`);
    expect(sink.traceBatches.length).toBe(before);
    expect(rssGrowth).toBeLessThan(128 * 1024 * 1024);
  });

  it('405 for a wrong method, 404 for an unknown path, and other routes go to `api`', async () => {
    const g = await post(`${url}/v1/traces?token=abc`, '', { method: 'GET' });
    expect(g.status).toBe(405);
    expect(g.headers.get('allow')).toBe('POST');
    expect(decodeStatus(g.body).message).toBe('method GET not allowed on /v1/traces; use POST'); // no query string echoed
    const n = await post(`${url}/v2/traces`, traceRequest([]));
    expect(n.status).toBe(404);
    expect(decodeStatus(n.body).message).toBe('no route for POST /v2/traces');
    const h = await post(`${url}/healthz`, '', { method: 'GET' });
    expect(h.status).toBe(200);
    expect(h.text).toBe('{"ok":true}');
  });

  it('accepts /v1/metrics and drops it', async () => {
    const r = await post(`${url}/v1/metrics`, Buffer.from('0a00', 'hex'));
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });

  it('429/503 with Retry-After when the sink is overloaded; 500 with a generic message when it fails', async () => {
    sink.failures.push(new OverloadError(2.2, 429));
    const t = await post(`${url}/v1/traces`, traceRequest([protoSpan()]));
    expect(t.status).toBe(429);
    expect(t.headers.get('retry-after')).toBe('3');
    expect(decodeStatus(t.body)).toEqual({ code: 8, message: 'ingestion is throttled; retry after 3s' });

    sink.failures.push(new OverloadError(1, 503));
    const u = await post(`${url}/v1/logs`, '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}', { contentType: 'application/json' });
    expect(u.status).toBe(503);
    expect(u.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(u.text)).toEqual({ code: 14, message: 'ingestion is unavailable; retry after 1s' });

    sink.failures.push(new Error('disk I/O error at /var/lib/secret-path'));
    const e = await post(`${url}/v1/traces`, traceRequest([protoSpan()]));
    expect(e.status).toBe(500);
    expect(decodeStatus(e.body).message).toBe('internal error while storing the data; see the processor log');
  });

  it('keeps a keep-alive connection usable across good and bad requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const send = (body: Buffer, contentType: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${url}/v1/traces`, { method: 'POST', agent, headers: { 'content-type': contentType } }, (res) => {
          sockets.add(req.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      expect(await send(traceRequest([protoSpan()]), 'application/x-protobuf')).toBe(200);
      expect(await send(Buffer.from('nope'), 'text/plain')).toBe(415);
      expect(await send(Buffer.from([0xff]), 'application/x-protobuf')).toBe(400);
      expect(await send(traceRequest([protoSpan()]), 'application/x-protobuf')).toBe(200);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
