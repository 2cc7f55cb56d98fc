import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { until } from './helpers';
import { createEmitter } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-tick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detection timer', () => {
  it('raises service-silent from the periodic tick once a busy service stops sending', async () => {
    const config = path.join(dir, 'c.yaml');
    // Twelve calls is not a busy service by the default min_expected: judge any silence here.
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(rules, 'extends: default\nrules:\n  - id: service-silent\n    params: { min_expected: 0 }\n');
    writeFileSync(config, `detection:\n  tick_seconds: 1\n  rules_file: ${JSON.stringify(rules)}\n`);
    let offset = 0;
    const p = await startProcessor(loadConfig({ file: config, flags: { db: path.join(dir, 't.db'), port: '0' } }), {
      logger: createLogger({ level: 'silent', redactor: null }),
      clock: () => Date.now() + offset,
    });
    try {
      const emitter = createEmitter(p.url, { format: 'json', gzip: false, service: 'billing-mcp' });
      for (let i = 0; i < 12; i++) emitter.call({ tool: 'charge', session: 'busy' });
      await emitter.shutdown();
      await p.pipeline.flush();
      const silent = () => p.detector!.listAlerts({ rule_id: 'service-silent' });
      // Control: while the service is fresh, ticks stay quiet.
      await new Promise((r) => setTimeout(r, 1200));
      expect(silent()).toEqual([]);
      offset = 20 * 60_000; // 20 minutes of silence
      await until(() => silent().length > 0, 1000);
      expect(silent()[0]!.group).toMatchObject({ service: 'billing-mcp' });
    } finally {
      await p.close();
    }
  });
});
