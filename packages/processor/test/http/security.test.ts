import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/http/auth';
import { createReceiver, ReceiverError } from '../../src/http/receiver';
import { silentLogger } from '../../src/logger';
import { protoSpan, traceRequest } from '../otlp/fixtures';
import { post, RecordingSink, startReceiver } from './helpers';

const TOKEN = 'test-token-5f0c1e9a';
const READ_TOKEN = 'read-token-77c0d2b1';

describe('bearer-token auth', () => {
  let url: string;
  let sink: RecordingSink;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const s = await startReceiver({
      auth: createAuthenticator([
        { id: 'emitter', role: 'write', token: TOKEN },
        { id: 'reader', role: 'read', token: READ_TOKEN },
      ]),
      unauthenticatedPaths: ['/healthz'],
      api: async (_req, res) => {
        res.writeHead(200).end('api');
        return true;
      },
    });
    ({ url, sink } = s);
    close = () => s.receiver.close();
  });
  afterAll(() => close());

  it('401 with a WWW-Authenticate challenge when the token is missing or wrong; never echoes it', async () => {
    const missing = await post(`${url}/v1/traces`, traceRequest([protoSpan()]));
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mcptrail"');
    expect(missing.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_OTLP_UNAUTHORIZED');
    const wrong = await post(`${url}/v1/traces`, traceRequest([protoSpan()]), { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="mcptrail", error="invalid_token"');
    expect(wrong.body.includes(TOKEN)).toBe(false);
    const basic = await post(`${url}/v1/traces`, traceRequest([protoSpan()]), { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(sink.traceBatches).toHaveLength(0);
  });

  it('guards the api routes too', async () => {
    expect((await post(`${url}/api/audit`, '', { method: 'GET' })).status).toBe(401);
    const ok = await post(`${url}/api/audit`, '', { method: 'GET', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(ok.status).toBe(200);
    // The emitter's token authenticates but may not read.
    const asEmitter = await post(`${url}/api/audit`, '', { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(asEmitter.status).toBe(403);
    expect(asEmitter.text).not.toBe('api');
    expect(ok.text).toBe('api');
    expect((await post(`${url}/healthz`, '', { method: 'GET' })).status).toBe(200);
    expect((await post(`${url}/healthz/x`, '', { method: 'GET' })).status).toBe(401);
  });

  it('200 with the right token (case-insensitive scheme)', async () => {
    const ok = await post(`${url}/v1/traces`, traceRequest([protoSpan()]), { headers: { authorization: `bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(sink.receivedSpans).toHaveLength(1);
  });
});

describe('TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-tls-'));
    cert = path.join(dir, 'cert.pem');
    key = path.join(dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS from cert/key files; a real exporter with a bearer token gets through', async () => {
    const { url, sink, receiver } = await startReceiver({ tls: { certFile: cert, keyFile: key }, bearerToken: TOKEN });
    try {
      expect(url.startsWith('https://127.0.0.1:')).toBe(true);
      const exporter = new OTLPTraceExporter({
        url: `${url}/v1/traces`,
        headers: { Authorization: `Bearer ${TOKEN}` },
        httpAgentOptions: { ca: readFileSync(cert) },
      });
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      provider.getTracer('t').startSpan('tools/call get_weather').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(sink.receivedSpans.map((s) => s.name)).toEqual(['tools/call get_weather']);

      // Plain HTTP to the TLS port is refused at the TLS layer, and the server keeps serving.
      await expect(fetch(`${url.replace('https:', 'http:')}/v1/traces`, { method: 'POST', body: 'x' })).rejects.toThrow();
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(`${url}/v1/traces`, {
          method: 'POST', ca: readFileSync(cert),
          headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}` },
        }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end(traceRequest([protoSpan()]));
      });
      expect(status).toBe(200);
    } finally {
      await receiver.close();
    }
  });

  it('names an unreadable cert or key file at start', () => {
    const missing = path.join(dir, 'missing.pem');
    const start = () => createReceiver({ tls: { certFile: missing, keyFile: key }, sink: new RecordingSink(), logger: silentLogger });
    expect(start).toThrow(ReceiverError);
    expect(start).toThrow(`tls.certFile "${missing}" cannot be read: ENOENT`);
  });
});
