/** Bad parameters are usage errors: exit 2 and a message naming the flag, never a crash (exit 1) or a stack. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './spawn';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage errors exit 2 and name the flag', () => {
  for (const [args, flag] of [
    [['query', '--since', '99999999999999d'], '--since'],
    [['query', '--until', '99999999999999w'], '--until'],
    [['alerts', '--since', '99999999999999d'], '--since'],
    [['export', '--since', '99999999999999d'], '--since'],
    [['query', '--limit', '1e3'], '--limit'],
    [['query', '--after-seq', '99999999999999999999'], '--after-seq'],
    [['serve', '--port', '70000'], '--port'],
    [['serve', '--host', '0.0.0.0'], '--host'],
    [['serve', '--allowed-hosts'], '--allowed-hosts'],
    [['serve', '--webhook-url', 'http://169.254.169.254/'], '--webhook-url'],
  ] as const) {
    it(args.join(' '), async () => {
      const r = await run([...args, '--db', path.join(dir, 'none.db')], { MCPTRAIL_WEBHOOK_SECRET: 's' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stderr).toContain('usage: mcptrail');
    });
  }
});
