import net from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createReceiver, OverloadError } from '../../src/http/receiver';
import { silentLogger } from '../../src/logger';
import type { DecodedTraces, IngestResult } from '../../src/otlp/types';
import { protoSpan, traceRequest } from '../otlp/fixtures';
import { post, RecordingSink, startReceiver } from './helpers';

describe('receiver lifecycle and exporter semantics', () => {
  it('a real exporter retries after 503 + Retry-After, and the span arrives once', async () => {
    const sink = new RecordingSink();
    let calls = 0;
    const counting = Object.assign(Object.create(sink) as RecordingSink, {
      traces: (batch: DecodedTraces): Promise<IngestResult> => {
        calls++;
        return sink.traces(batch);
      },
    });
    sink.failures.push(new OverloadError(1, 503));
    const { url, receiver } = await startReceiver({ sink: counting });
    try {
      const provider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
      });
      provider.getTracer('t').startSpan('retried').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(calls).toBe(2);
      expect(sink.receivedSpans.map((s) => s.name)).toEqual(['retried']);
    } finally {
      await receiver.close();
    }
  });

  it('answers 408 to a client that stalls mid-body, and keeps serving', async () => {
    const { url, port, receiver } = await startReceiver({ timeouts: { headersMs: 300, requestMs: 600 } });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\n0123456789');
        });
        let data = '';
        socket.on('data', (c) => (data += c.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(reply).toMatch(/mcptrail-error-code: MCPTRAIL_OTLP_REQUEST_TIMEOUT/i);
      expect(reply).toMatch(/connection: close/i);
      expect((await post(`${url}/v1/traces`, traceRequest([protoSpan()]))).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });

  it('close() lets a request in flight finish with 200, then stops accepting', async () => {
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inSink = new Promise<void>((r) => (entered = r));
    const sink = new RecordingSink();
    const slow = Object.assign(Object.create(sink) as RecordingSink, {
      traces: async (batch: DecodedTraces): Promise<IngestResult> => {
        entered();
        await new Promise<void>((r) => (release = r));
        return sink.traces(batch);
      },
    });
    const { url, receiver } = await startReceiver({ sink: slow });
    const order: string[] = [];
    const request = post(`${url}/v1/traces`, traceRequest([protoSpan()])).then((r) => {
      order.push(`response ${r.status}`);
      return r;
    });
    await inSink;
    const closed = receiver.close().then(() => order.push('closed'));
    await new Promise((r) => setTimeout(r, 50)); // give a premature close the chance to show
    order.push('sink released');
    release();
    await Promise.all([request, closed]);
    expect(order[0]).toBe('sink released');
    expect(order).toContain('response 200');
    expect(order).toContain('closed');
    expect(sink.receivedSpans).toHaveLength(1);
    await expect(post(`${url}/v1/traces`, traceRequest([protoSpan()]))).rejects.toThrow();
  });

  it('listen() rejects when the port is taken', async () => {
    const first = await startReceiver();
    try {
      const second = createReceiver({ host: '127.0.0.1', port: first.port, sink: new RecordingSink(), logger: silentLogger });
      await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.receiver.close();
    }
  });

  it('survives a client that disconnects mid-body, and serves concurrent requests', async () => {
    const { url, port, sink, receiver } = await startReceiver();
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: gzip\r\nContent-Length: 5000\r\n\r\n');
          socket.write(Buffer.alloc(100, 7), () => {
            socket.destroy();
            resolve();
          });
        });
        socket.on('error', reject);
      });
      const results = await Promise.all(Array.from({ length: 40 }, () => post(`${url}/v1/traces`, traceRequest([protoSpan()]))));
      expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
      expect(sink.receivedSpans).toHaveLength(40);
    } finally {
      await receiver.close();
    }
  });
});
