import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { until } from './helpers';
import { createEmitter } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-slow-sinks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a stuck alert destination', () => {
  it('does not hold up ingestion or sealing, and shutdown stays bounded', async () => {
    // A webhook endpoint that accepts connections and never answers.
    const sockets = new Set<import('node:net').Socket>();
    const stuck = createServer(() => undefined);
    stuck.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/hook`;

    const config = loadConfig({
      flags: { db: path.join(dir, 's.db'), port: '0', 'webhook-url': hook },
      env: { MCPTRAIL_WEBHOOK_SECRET: 'k' },
    });
    config.sinks.webhook.records = true;
    config.sinks.webhook.timeout_ms = 60_000; // longer than this test: only close() may cut it short
    config.sinks.webhook.shutdown_timeout_ms = 500;
    const p = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
    try {
      const emitter = createEmitter(p.url, { format: 'proto', gzip: false });
      for (let i = 0; i < 40; i++) emitter.call({ tool: 'run_command', session: `s${i % 4}`, args: { cmd: `ls; rm -rf /tmp/${i}` } });
      await emitter.shutdown(); // every export answered 200 while the webhook hangs
      await p.pipeline.flush();
      expect(await p.store.count()).toBe(40);
      expect(p.detector!.listAlerts({ rule_id: 'argument-injection' }).length).toBeGreaterThan(0);
      await until(() => sockets.size > 0); // the webhook is being tried, and hangs
    } finally {
      // Webhook close() waits at most shutdown_timeout_ms, then aborts the hung request and drops the rest.
      await p.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => stuck.close(() => r()));
    }
  }, 60_000);
});
