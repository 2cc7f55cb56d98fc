/**
 * The listener as an attacker on the same machine or network meets it: a non-loopback bind
 * without credentials, a DNS-rebinding page (foreign Host), a cross-site page (foreign
 * Origin), and credentials used outside their role.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createAuthenticator } from '../../src/http/auth';
import { protoSpan, traceRequest } from '../otlp/fixtures';
import { run } from '../cli/spawn';
import { startReceiver } from './helpers';

/** A raw request with any Host/Origin (fetch does not let a caller set Host). */
function raw(url: string, opts: { path: string; method?: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ status: number; code: string | undefined; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: res.headers['mcptrail-error-code'] as string | undefined, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const api = async (_req: unknown, res: http.ServerResponse) => {
  res.writeHead(200).end('trail data');
  return true;
};

describe('a non-loopback bind needs a credential', () => {
  it('refuses 0.0.0.0 (and a LAN address) without one, naming the key and the way out', () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      expect(() => loadConfig({ flags: { host } })).toThrow(/--host \('receiver\.host'\) is not a loopback address.*--insecure-no-auth/);
    }
  });

  it('accepts it with a token, a read token, per-emitter credentials, or --insecure-no-auth (controls)', () => {
    expect(loadConfig({ flags: { host: '0.0.0.0' }, env: { MCPTRAIL_TOKEN: 'w' } }).receiver.host).toBe('0.0.0.0');
    expect(loadConfig({ flags: { host: '0.0.0.0', 'read-token': 'r' } }).receiver.read_token).toBe('r');
    expect(loadConfig({ flags: { host: '0.0.0.0', 'insecure-no-auth': true } }).receiver.insecure_no_auth).toBe(true);
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(loadConfig({ flags: { host } }).receiver.host).toBe(host);
  });

  it('`mcptrail serve --host 0.0.0.0` exits 2 with the reason and never listens', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-bind-'));
    try {
      const r = await run(['serve', '--host', '0.0.0.0', '--port', '0', '--db', path.join(dir, 't.db')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is not a loopback address');
      expect(r.stderr).not.toContain('"msg":"listening"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a read token equal to the write token is refused (it would let the emitter read)', () => {
    expect(() => loadConfig({ env: { MCPTRAIL_TOKEN: 'same', MCPTRAIL_READ_TOKEN: 'same' } })).toThrow(/read_token.*must differ/);
  });
});

describe('DNS rebinding and cross-site callers (no credentials: loopback development setup)', () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const s = await startReceiver({ api, unauthenticatedPaths: ['/healthz'], allowedHosts: ['mcptrail.internal', '.corp.example'], allowedOrigins: ['https://console.corp.example'] });
    url = s.url;
    close = () => s.receiver.close();
  });
  afterAll(() => close());

  it('a foreign Host gets 421 on the API, /healthz and OTLP, and no data', async () => {
    for (const p of ['/api/audit', '/healthz']) {
      const r = await raw(url, { path: p, headers: { host: 'attacker.example:4318' } });
      expect(r.status, p).toBe(421);
      expect(r.code).toBe('MCPTRAIL_HTTP_MISDIRECTED');
      expect(r.body).not.toContain('trail data');
    }
    const otlp = await raw(url, { path: '/v1/traces', method: 'POST', headers: { host: 'attacker.example', 'content-type': 'application/x-protobuf' }, body: Buffer.from(traceRequest([protoSpan()])) });
    expect(otlp.status).toBe(421);
    // A name that merely ends like an allowed one is still foreign.
    expect((await raw(url, { path: '/api/audit', headers: { host: 'evilmcptrail.internal' } })).status).toBe(421);
    expect((await raw(url, { path: '/api/audit', headers: { host: 'corp.example.attacker.example' } })).status).toBe(421);
  });

  it('IP literals, localhost, *.localhost and configured names pass (controls)', async () => {
    for (const host of ['127.0.0.1:4318', '[::1]:4318', 'localhost:4318', 'app.localhost', 'mcptrail.internal:4318', 'a.corp.example', 'MCPTRAIL.INTERNAL.']) {
      const r = await raw(url, { path: '/api/audit', headers: { host } });
      expect(r.status, host).toBe(200);
      expect(r.body).toBe('trail data');
    }
  });

  it('a foreign Origin gets 403; the same origin and configured origins pass', async () => {
    const host = new URL(url).host;
    const foreign = await raw(url, { path: '/api/audit', headers: { host, origin: 'https://attacker.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.code).toBe('MCPTRAIL_HTTP_FORBIDDEN');
    expect(foreign.body).not.toContain('trail data');
    expect((await raw(url, { path: '/api/audit', headers: { host, origin: 'null' } })).status).toBe(403);
    // Same host, other port: another local dev server is another origin.
    expect((await raw(url, { path: '/api/audit', headers: { host, origin: 'http://127.0.0.1:1' } })).status).toBe(403);
    expect((await raw(url, { path: '/api/audit', headers: { host, origin: `http://${host}` } })).status).toBe(200);
    expect((await raw(url, { path: '/api/audit', headers: { host, origin: 'https://console.corp.example' } })).status).toBe(200);
  });
});

describe('with credentials', () => {
  const WRITE = 'emitter-token-5d1c';
  const READ = 'reader-token-0b7e';
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const auth = createAuthenticator([
      { id: 'emitter', role: 'write', token: WRITE },
      { id: 'reader', role: 'read', token: READ },
    ]);
    const s = await startReceiver({ api, auth, unauthenticatedPaths: ['/healthz'] });
    url = s.url;
    close = () => s.receiver.close();
  });
  afterAll(() => close());

  it('OTLP from a named host passes (the token, not the Host, authenticates an exporter); the API still checks the Host', async () => {
    const body = Buffer.from(traceRequest([protoSpan()]));
    const otlp = await raw(url, { path: '/v1/traces', method: 'POST', headers: { host: 'mcptrail.svc.cluster.local', 'content-type': 'application/x-protobuf', authorization: `Bearer ${WRITE}` }, body });
    expect(otlp.status).toBe(200);
    const apiCall = await raw(url, { path: '/api/audit', headers: { host: 'attacker.example', authorization: `Bearer ${READ}` } });
    expect(apiCall.status).toBe(421);
  });

  it('an emitter token gets 403 on the API; a reader token cannot write', async () => {
    const host = new URL(url).host;
    const asEmitter = await raw(url, { path: '/api/audit', headers: { host, authorization: `Bearer ${WRITE}` } });
    expect(asEmitter.status).toBe(403);
    expect(asEmitter.body).not.toContain('trail data');
    const body = Buffer.from(traceRequest([protoSpan()]));
    const asReader = await raw(url, { path: '/v1/traces', method: 'POST', headers: { host, 'content-type': 'application/x-protobuf', authorization: `Bearer ${READ}` }, body });
    expect(asReader.status).toBe(403);
    // Controls: each token in its own role.
    expect((await raw(url, { path: '/api/audit', headers: { host, authorization: `Bearer ${READ}` } })).status).toBe(200);
    expect((await raw(url, { path: '/v1/traces', method: 'POST', headers: { host, 'content-type': 'application/x-protobuf', authorization: `Bearer ${WRITE}` }, body })).status).toBe(200);
  });
});
