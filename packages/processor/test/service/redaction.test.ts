import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { startProcessor } from '../../src/service';
import { createEmitter } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-redaction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('processor re-redaction configuration', () => {
  it('masks arguments under configured extra keys before they are stored', async () => {
    const config = path.join(dir, 'c.yaml');
    writeFileSync(config, 'redaction:\n  keys: [patientId]\n');
    const p = await startProcessor(loadConfig({ file: config, flags: { db: path.join(dir, 'r.db'), port: '0' } }), {
      logger: createLogger({ level: 'silent', redactor: null }),
    });
    try {
      const emitter = createEmitter(p.url, { format: 'json', gzip: false });
      emitter.call({ tool: 'lookup', session: 'r', args: { patient_id: 'P-778899', visit_id: 'V-556677', city: 'Oslo' } });
      await emitter.shutdown();
      await p.pipeline.flush();
      const [record] = (await p.store.query({ session_id: 'r' })) as AuditRecord[];
      expect(JSON.stringify(record!.args)).not.toContain('P-778899');
      // Control: a similar key that is not configured keeps its value.
      expect(record!.args).toMatchObject({ city: 'Oslo', visit_id: 'V-556677' });
    } finally {
      await p.close();
    }
  });

  it('rejects a malformed redaction section naming the key', () => {
    const config = path.join(dir, 'bad.yaml');
    writeFileSync(config, 'redaction:\n  keys: password\n');
    expect(() => loadConfig({ file: config })).toThrow("bad.yaml: 'redaction.keys' must be a list of key names");
  });
});
