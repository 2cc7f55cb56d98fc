import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSink, createOtlpLogsSink, createStdoutSink, createWebhookSink, SinkError, signBody } from '../../src/sinks';
import { captureServer, memoryLogger, sampleAlert, sampleRecord, until } from './helpers';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('stdout sink', () => {
  it('writes alerts, and records only when asked, as NDJSON envelopes', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c) => chunks.push(String(c)));
    const sink = createStdoutSink({ alerts: true, records: false, stream });
    sink.alerts([sampleAlert(), sampleAlert({ id: 'a2' })]);
    sink.records([sampleRecord(1)]);
    await sink.close();
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.event, l.alert.id])).toEqual([
      ['mcptrail.alert', 'a1'],
      ['mcptrail.alert', 'a2'],
    ]);
  });
});

describe('file sink', () => {
  it('appends NDJSON (0600), keeps earlier content, and includes records when configured', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-file-sink-'));
    const file = path.join(dir, 'alerts.ndjson');
    const { logger } = memoryLogger();
    const a = createFileSink({ path: file, records: true, fsync: 'always', logger });
    a.alerts([sampleAlert()]);
    a.records([sampleRecord(1), sampleRecord(2)]);
    await a.close();
    const b = createFileSink({ path: file, records: false, fsync: 'interval', logger });
    b.alerts([sampleAlert({ id: 'a2' })]);
    b.records([sampleRecord(3)]);
    await b.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['mcptrail.alert', 'mcptrail.audit.record', 'mcptrail.audit.record', 'mcptrail.alert']);
    expect(lines[2].record.seq).toBe(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('fails to start with a coded error naming the key when the file cannot be opened', () => {
    const { logger } = memoryLogger();
    try {
      createFileSink({ path: '/nonexistent-dir/x/alerts.ndjson', records: false, fsync: 'never', logger });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SinkError);
      expect((err as SinkError).code).toBe('MCPTRAIL_ERR_SINK_FILE_OPEN');
      expect((err as Error).message).toMatch(/sinks\.file\.path/);
    }
  });
});

describe('webhook sink', () => {
  it('POSTs each alert with an HMAC-SHA256 signature of the exact body', async () => {
    const srv = await captureServer();
    cleanups.push(srv.close);
    const { logger } = memoryLogger();
    const sink = createWebhookSink({ url: `${srv.url}/hook`, secret: 's3cr3t-key', records: true, maxAttempts: 3, backoffMs: 1, timeoutMs: 2000, queueSize: 10, logger });
    sink.alerts([sampleAlert()]);
    sink.records([sampleRecord(1), sampleRecord(2)]);
    await sink.close();
    expect(srv.requests).toHaveLength(2);
    const [alertReq, recordReq] = srv.requests;
    const header = alertReq!.headers['x-mcptrail-signature'] as string;
    const t = /^t=(\d+),/.exec(header)?.[1];
    const expected = `t=${t},v1=${createHmac('sha256', 's3cr3t-key').update(`${t}.`).update(alertReq!.body).digest('hex')}`;
    expect(header).toBe(expected);
    expect(signBody('s3cr3t-key', alertReq!.body.toString(), Number(t))).toBe(expected);
    expect(JSON.parse(alertReq!.body.toString())).toMatchObject({ event: 'mcptrail.alert', alert: { id: 'a1' } });
    expect(JSON.parse(recordReq!.body.toString()).records.map((r: { seq: number }) => r.seq)).toEqual([1, 2]);
    expect(sink.stats()).toEqual({ delivered: 2, failed: 0, dropped: 0 });
  });

  it('retries 5xx with backoff until success, and gives up on a final 4xx', async () => {
    const srv = await captureServer((n) => (n < 2 ? 503 : n === 2 ? 200 : 400));
    cleanups.push(srv.close);
    const { logger, lines } = memoryLogger();
    const sink = createWebhookSink({ url: `${srv.url}/hook?token=qs-secret`, secret: 'whsec-XYZ', records: false, maxAttempts: 5, backoffMs: 5, timeoutMs: 2000, queueSize: 10, logger });
    sink.alerts([sampleAlert()]);
    await until(() => sink.stats().delivered === 1);
    sink.alerts([sampleAlert({ id: 'a2' })]);
    await until(() => sink.stats().failed === 1);
    expect(srv.requests).toHaveLength(4);
    const log = lines.join('');
    expect(log).toContain('MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY');
    expect(log).not.toContain('whsec-XYZ');
    expect(log).not.toContain('qs-secret');
  });

  it('bounds attempts against a dead endpoint and never blocks the caller', async () => {
    const srv = await captureServer();
    await srv.close(); // nothing listens on this port any more
    const { logger } = memoryLogger();
    const sink = createWebhookSink({ url: `${srv.url}/hook`, secret: 'k', records: false, maxAttempts: 3, backoffMs: 1, timeoutMs: 500, queueSize: 2, logger });
    sink.alerts([sampleAlert({ id: '1' }), sampleAlert({ id: '2' }), sampleAlert({ id: '3' })]);
    expect(sink.stats().dropped).toBe(1); // queue of 2: the oldest went
    await until(() => sink.stats().failed === 2);
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 0, failed: 2, dropped: 1 });
  });
});

describe('OTLP logs sink', () => {
  for (const protocol of ['http/json', 'http/protobuf'] as const) {
    it(`exports alerts and records as mcptrail.* log records (${protocol})`, async () => {
      const srv = await captureServer();
      cleanups.push(srv.close);
      const { logger } = memoryLogger();
      const sink = createOtlpLogsSink({ endpoint: `${srv.url}/v1/logs`, protocol, headers: { 'x-api-key': 'k1' }, records: true, timeoutMs: 2000, logger });
      sink.alerts([sampleAlert()]);
      sink.records([sampleRecord(5)]);
      await sink.close();
      expect(srv.requests.length).toBeGreaterThanOrEqual(1);
      const req = srv.requests[0]!;
      expect(req.url).toBe('/v1/logs');
      expect(req.headers['x-api-key']).toBe('k1');
      expect(req.headers['content-type']).toBe(protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
      const text = req.body.toString('latin1');
      expect(text).toContain('mcptrail.alert');
      expect(text).toContain('mcptrail.audit.record');
      expect(text).toContain('argument-injection');
      if (protocol === 'http/json') {
        const body = JSON.parse(req.body.toString());
        const logs = body.resourceLogs[0].scopeLogs[0].logRecords;
        expect(logs.map((l: { eventName: string }) => l.eventName)).toEqual(['mcptrail.alert', 'mcptrail.audit.record']);
        expect(logs[1].traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      }
      expect(sink.stats()).toMatchObject({ delivered: 2, failed: 0 });
    });
  }

  it('logs a coded error when the endpoint rejects the export', async () => {
    const srv = await captureServer(() => 400);
    cleanups.push(srv.close);
    const { logger, lines } = memoryLogger();
    const sink = createOtlpLogsSink({ endpoint: `${srv.url}/v1/logs`, protocol: 'http/json', headers: {}, records: false, timeoutMs: 2000, logger });
    sink.alerts([sampleAlert()]);
    await sink.close();
    expect(sink.stats().failed).toBe(1);
    expect(lines.join('')).toContain('MCPTRAIL_ERR_SINK_OTLP_EXPORT');
  });
});

describe('stdout sink on a broken pipe', () => {
  it('disables itself and logs once instead of crashing', async () => {
    const stream = new PassThrough();
    const { logger, lines } = memoryLogger();
    const sink = createStdoutSink({ alerts: true, records: false, stream, logger });
    stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await new Promise((r) => setImmediate(r));
    expect(() => sink.alerts([sampleAlert()])).not.toThrow();
    await sink.close();
    expect(lines.filter((l) => l.includes('stdout sink disabled'))).toHaveLength(1);
  });
});
