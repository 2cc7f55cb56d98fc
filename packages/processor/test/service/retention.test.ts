import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publicKeyPathFor } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { signingKeyPathOf } from '../../src/replica/open-trail';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { createEmitter } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => createLogger({ level: 'silent', redactor: null });
const DAY = 86_400_000;

describe('retention wired into serve', () => {
  it('purges checkpointed segments (and their alerts) older than retention_days at start; the trail still verifies', async () => {
    const db = path.join(dir, 'r.db');
    const first = await startProcessor(loadConfig({ flags: { db, port: '0' } }), { logger: quiet() });
    const emitter = createEmitter(first.url, { format: 'json', gzip: false });
    for (let i = 0; i < 3; i++) emitter.call({ tool: 'search', session: 'old' });
    emitter.call({ tool: 'search', session: 'old', args: { q: "x' OR 1=1 --" } });
    await emitter.shutdown();
    await first.pipeline.flush();
    expect(first.detector!.listAlerts({ rule_id: 'argument-injection' })).toHaveLength(1);
    await first.close(); // signs the final checkpoint over all 4 records

    // Three days later, with 2-day retention: the old segment goes at start-up.
    const later = () => Date.now() + 3 * DAY;
    const second = await startProcessor(loadConfig({ flags: { db, port: '0', 'retention-days': '2' } }), { logger: quiet(), clock: later });
    try {
      expect(await second.store.count()).toBe(0);
      // Detection state follows: the alert whose evidence was purged is gone too.
      expect(second.detector!.listAlerts({})).toEqual([]);
      const emitter2 = createEmitter(second.url, { format: 'json', gzip: false });
      emitter2.call({ tool: 'search', session: 'new' });
      await emitter2.shutdown();
      await second.pipeline.flush();
      const records = await second.store.query({});
      expect(records.map((r) => r.seq)).toEqual([5]); // the chain continues from its anchor
    } finally {
      await second.close();
    }
    const { openSqliteStore } = await import('../../src/store/sqlite');
    const store = openSqliteStore({ path: db });
    try {
      const report = await verifyTrail(store, publicKeyPathFor(signingKeyPathOf(loadConfig({ flags: { db } }))));
      expect(report.ok, JSON.stringify(report.chains[0]?.problems)).toBe(true);
      expect(report.records).toBe(1);
    } finally {
      await store.close();
    }
  }, 60_000);
});
