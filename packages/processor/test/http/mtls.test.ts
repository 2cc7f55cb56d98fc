/**
 * mTLS: the TLS handshake refuses a client without a certificate from the configured CA; a
 * certificate's subject CN selects the credential, which bounds what it may assert.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processorConfigSchema } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { encodeMessage, protoSpan, TRACE_REQUEST } from '../otlp/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-mtls-'));
const f = (name: string) => path.join(dir, name);
const READ = 'reader-token-mtls';
let p: RunningProcessor;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A key and a certificate for `cn`, signed by `ca` (or self-signed). */
function cert(name: string, cn: string, ca: string | null, ext: string[] = []): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
  if (ca === null) {
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-signkey', f(`${name}.key`), '-days', '1', '-out', f(`${name}.crt`), ...ext);
  } else {
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-days', '1', '-out', f(`${name}.crt`), ...ext);
  }
}

function send(client: string | null, body: Buffer): Promise<number> {
  const u = new URL(p.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: '/v1/traces',
        method: 'POST',
        ca: readFileSync(f('ca.crt')),
        ...(client ? { cert: readFileSync(f(`${client}.crt`)), key: readFileSync(f(`${client}.key`)) } : {}),
        headers: { 'content-type': 'application/x-protobuf' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function request(service: string, n: number): Buffer {
  const span = protoSpan({
    spanId: Buffer.from(n.toString(16).padStart(16, '0'), 'hex'),
    startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'transfer' } },
    ],
  });
  return encodeMessage(TRACE_REQUEST, {
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ scope: { name: 's', version: '1' }, spans: [span] }] }],
  });
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=mcptrail-test-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  cert('server', '127.0.0.1', 'ca', ['-extfile', f('san.ext')]);
  cert('payments', 'payments-mcp', 'ca');
  cert('stranger', 'stranger', 'ca');
  cert('rogue', 'payments-mcp', null);
  const config = processorConfigSchema.parse({
    log_level: 'silent',
    store: { path: f('mtls.db') },
    receiver: { port: 0, tls_cert_file: f('server.crt'), tls_key_file: f('server.key'), tls_client_ca_file: f('ca.crt'), read_token: READ },
    auth: { credentials: [{ id: 'payments', cert_cn: 'payments-mcp', services: ['payments-mcp'] }] },
    detection: { enabled: false },
    trail: { pairing_window_ms: 20 },
  });
  p = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
}, 30_000);
afterAll(async () => {
  await p?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mTLS client certificates', () => {
  it('a certificate from the CA with a mapped CN sends, and its records carry that credential', async () => {
    expect(await send('payments', request('payments-mcp', 1))).toBe(200);
    await p.pipeline.flush();
    const res = await fetch(`${p.url.replace('https', 'http')}/api/audit`).catch(() => null);
    expect(res).toBeNull(); // plain HTTP is not served on a TLS listener
    const records = await new Promise<AuditRecord[]>((resolve, reject) => {
      const u = new URL(p.url);
      https
        .get({ host: u.hostname, port: u.port, path: '/api/audit', ca: readFileSync(f('ca.crt')), cert: readFileSync(f('payments.crt')), key: readFileSync(f('payments.key')), headers: { authorization: `Bearer ${READ}` } }, (r) => {
          let t = '';
          r.on('data', (c) => (t += c));
          r.on('end', () => resolve((JSON.parse(t) as { records: AuditRecord[] }).records));
        })
        .on('error', reject);
    });
    expect(records.map((r) => [r.service, r.credential_id])).toEqual([['payments-mcp', 'payments']]);
  });

  it('no certificate, or one from another CA, fails the handshake; an unmapped CN gets 403', async () => {
    await expect(send(null, request('payments-mcp', 2))).rejects.toThrow();
    await expect(send('rogue', request('payments-mcp', 3))).rejects.toThrow();
    expect(await send('stranger', request('payments-mcp', 4))).toBe(403);
  });

  it("the certificate's credential bounds its claims: payments-mcp's certificate cannot assert another service", async () => {
    expect(await send('payments', request('weather-mcp', 5))).toBe(200);
    await p.pipeline.flush();
    expect(p.pipeline.stats().sealed).toBe(1);
    expect(p.pipeline.stats().rejected).toBe(1);
  });
});
