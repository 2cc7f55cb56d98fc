/**
 * The webhook sink as an attacker meets it: a receiver that redirects the signed body to a
 * host of its choosing, a captured delivery replayed later, a URL aimed at the cloud
 * metadata service. Real HTTP servers on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createWebhookSink, signBody, verifyWebhookSignature, WEBHOOK_TOLERANCE_SECONDS } from '../../src/sinks/webhook';
import { captureServer, memoryLogger, sampleAlert, until } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-hook-'));
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function listen(handler: (req: IncomingMessage, body: Buffer, res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const base = { secret: 'whsec-test-1', records: false, maxAttempts: 3, backoffMs: 1, timeoutMs: 2000, queueSize: 10 };

describe('redirects', () => {
  it('a 307 to a second receiver is not followed: the second never sees the body; the delivery is dead-lettered', async () => {
    const seenBySecond: Buffer[] = [];
    const second = await listen((_req, body, res) => {
      seenBySecond.push(body);
      res.writeHead(200).end();
    });
    let firstHits = 0;
    const first = await listen((_req, _body, res) => {
      firstHits++;
      res.writeHead(307, { location: `${second}/steal` }).end();
    });
    const deadLetters = path.join(dir, 'dead.ndjson');
    const { logger, lines } = memoryLogger();
    const sink = createWebhookSink({ ...base, url: `${first}/hook`, logger, deadLetterFile: deadLetters });
    sink.alerts([sampleAlert()]);
    await until(() => sink.stats().failed === 1);
    await sink.close();
    expect(firstHits).toBe(1); // a redirect is final: not retried either
    expect(seenBySecond).toHaveLength(0);
    expect(lines.join('')).toContain('redirect not followed');
    const [entry] = readFileSync(deadLetters, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(entry).toMatchObject({ event: 'mcptrail.alert', reason: 'HTTP 307 redirect not followed', attempts: 1 });
    expect(JSON.parse(entry.body).alert.id).toBe('a1');
    expect(statSync(deadLetters).mode & 0o777).toBe(0o600);
  });
});

describe('signature with a timestamp', () => {
  it('the documented verifier accepts a fresh delivery and rejects its replay outside the tolerance', async () => {
    const srv = await captureServer();
    const { logger } = memoryLogger();
    const sink = createWebhookSink({ ...base, url: `${srv.url}/hook`, logger });
    sink.alerts([sampleAlert()]);
    await sink.close();
    await srv.close();
    const captured = srv.requests[0]!;
    const header = captured.headers['x-mcptrail-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const t = Number(/t=(\d+)/.exec(header)![1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);

    // Control: as received.
    expect(verifyWebhookSignature(base.secret, header, captured.body)).toEqual({ ok: true, timestamp: t });
    // The attacker replays the captured request later: same header, same body.
    expect(verifyWebhookSignature(base.secret, header, captured.body, { nowSeconds: t + WEBHOOK_TOLERANCE_SECONDS + 1 })).toEqual({ ok: false, reason: 'outside-tolerance' });
    // ...or re-dates it: the timestamp is inside the MAC.
    const redated = header.replace(/t=\d+/, `t=${t + 400}`);
    expect(verifyWebhookSignature(base.secret, redated, captured.body, { nowSeconds: t + 400 })).toEqual({ ok: false, reason: 'bad-signature' });
    // ...or alters the body.
    const altered = Buffer.from(captured.body.toString().replace('argument-injection', 'nothing-to-see'));
    expect(verifyWebhookSignature(base.secret, header, altered)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhookSignature('other-secret', header, captured.body)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhookSignature(base.secret, undefined, captured.body)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(base.secret, 'sha256=abc', captured.body)).toEqual({ ok: false, reason: 'malformed' });
    // signBody is what the sink sends.
    expect(signBody(base.secret, captured.body.toString(), t)).toBe(header);
  });

  it('each retry is signed afresh (a retried delivery is not a replay of an old timestamp)', async () => {
    let clock = 1_800_000_000;
    const srv = await captureServer((n) => (n === 0 ? 503 : 200));
    const { logger } = memoryLogger();
    const sink = createWebhookSink({ ...base, url: `${srv.url}/hook`, logger, now: () => (clock += 100) });
    sink.alerts([sampleAlert()]);
    await until(() => sink.stats().delivered === 1);
    await sink.close();
    await srv.close();
    const [a, b] = srv.requests.map((r) => r.headers['x-mcptrail-signature'] as string);
    expect(a).not.toBe(b);
    expect(srv.requests[0]!.headers['x-mcptrail-delivery']).toBe(srv.requests[1]!.headers['x-mcptrail-delivery']);
    expect(verifyWebhookSignature(base.secret, b, srv.requests[1]!.body, { nowSeconds: clock })).toMatchObject({ ok: true });
  });
});

describe('link-local and metadata targets', () => {
  it('are refused at config load, naming the key; allowed only explicitly', () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/hook', 'http://metadata.google.internal/computeMetadata/v1/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/', 'http://0.0.0.0:8080/']) {
      expect(() => loadConfig({ flags: { 'webhook-url': url }, env: { MCPTRAIL_WEBHOOK_SECRET: 's' } }), url).toThrow(/--webhook-url \('sinks\.webhook\.url'\) points at a link-local or cloud-metadata address/);
    }
    // Controls: an ordinary address, and the explicit opt-in.
    expect(loadConfig({ flags: { 'webhook-url': 'http://127.0.0.1:9/hook' }, env: { MCPTRAIL_WEBHOOK_SECRET: 's' } }).sinks.webhook.url).toBe('http://127.0.0.1:9/hook');
    const file = path.join(dir, 'optin.yaml');
    writeFileSync(file, 'sinks:\n  webhook:\n    url: http://169.254.169.254/hook\n    secret: s\n    allow_link_local: true\n');
    expect(loadConfig({ file }).sinks.webhook.allow_link_local).toBe(true);
  });

  it('a sink built with such a URL anyway never connects; the delivery fails for good at once', async () => {
    const { logger } = memoryLogger();
    const sink = createWebhookSink({ ...base, url: 'http://169.254.169.254/latest/meta-data/iam', logger, timeoutMs: 60_000 });
    sink.alerts([sampleAlert()]);
    await until(() => sink.stats().failed === 1);
    await sink.close();
    expect(sink.stats()).toMatchObject({ delivered: 0, failed: 1 });
  });
});
