import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, describe, expect, it } from 'vitest';
import { postTraces, run, serve, tracesRequest } from './spawn';

// Spawns the built CLI: run `npx tsc -b` in packages/processor first.
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const QUIET = { MCPTRAIL_LOG_LEVEL: 'warn' };

function exported(stdout: string): AuditRecord[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
}

describe('mcptrail serve durability', () => {
  it('SIGKILL during sustained ingest: every request answered 200 is in the trail after restart, verify passes', async () => {
    const db = path.join(dir, 'kill.db');
    const served = await serve(['--port', '0', '--db', db], QUIET);
    const acked = new Set<string>();
    let answered = 0;
    let killed = false;
    const TARGET = 120; // acknowledged requests before the kill
    const worker = async (w: number) => {
      // Bounded: each worker stops at the kill or after 1000 requests.
      for (let i = 0; i < 1000 && !killed; i++) {
        const { body, spanIds } = tracesRequest(5, `kill-${w}`);
        try {
          const status = await postTraces(served.url, body);
          if (status === 200 && !killed) {
            for (const id of spanIds) acked.add(id);
            answered += 1;
            if (answered >= TARGET && !killed) {
              killed = true;
              served.child.kill('SIGKILL');
            }
          }
        } catch {
          // connection refused/reset after the kill
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect(killed).toBe(true);
    expect((await served.exited).signal).toBe('SIGKILL');
    expect(answered).toBeGreaterThanOrEqual(TARGET);

    // Restart on the same file: staged drafts of the dead process are sealed; SIGTERM flushes.
    const again = await serve(['--port', '0', '--db', db], QUIET);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);

    const verify = await run(['verify', '--db', db]);
    expect(verify.stdout).toMatch(/trail intact/);
    expect(verify.code).toBe(0);
    const exp = await run(['export', '--db', db]);
    expect(exp.code).toBe(0);
    const spanIds = exported(exp.stdout).map((r) => r.span_id);
    const present = new Set(spanIds);
    expect(spanIds.length).toBe(present.size); // no duplicates
    const missing = [...acked].filter((id) => !present.has(id));
    expect(missing).toEqual([]);
  }, 120_000);

  it('SIGTERM seals records acknowledged just before it, and exits 0', async () => {
    const db = path.join(dir, 'term.db');
    const config = path.join(dir, 'term.yaml');
    // A long pairing window keeps span-only calls staged: only the shutdown flush can seal them.
    writeFileSync(config, 'trail:\n  pairing_window_ms: 600000\n');
    const served = await serve(['--port', '0', '--db', db, '--config', config], QUIET);
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { body, spanIds } = tracesRequest(3, 'term');
      expect(await postTraces(served.url, body)).toBe(200);
      acked.push(...spanIds);
    }
    served.child.kill('SIGTERM');
    expect((await served.exited).code).toBe(0);
    const exp = await run(['export', '--db', db]);
    expect(exported(exp.stdout).map((r) => r.span_id).sort()).toEqual(acked.sort());
    expect((await run(['verify', '--db', db])).code).toBe(0);
  }, 120_000);
});

describe('mcptrail start-up and usage errors', () => {
  it('a bad config file fails start-up naming the file and key (exit 1)', async () => {
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'receiver:\n  max_body_bytes: -1\n');
    const r = await run(['serve', '--port', '0', '--db', path.join(dir, 'x.db'), '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("config.yaml: 'receiver.max_body_bytes' must be a positive integer");
    expect(r.stderr).toContain('MCPTRAIL_ERR_CONFIG_INVALID');
  });

  it('a bad rule file fails start-up naming the file, rule and field (exit 1)', async () => {
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      'version: 1\nrules:\n  - id: my-rule\n    title: x\n    level: severe\n    tags: []\n    type: error_burst_typo\n',
    );
    const r = await run(['serve', '--port', '0', '--db', path.join(dir, 'y.db'), '--rules', rules]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rules.yaml');
    expect(r.stderr).toContain('my-rule');
    expect(r.stderr).toMatch(/MCPTRAIL_ERR_RULE_/);
  });

  it('bad flags exit 2 with usage naming the flag', async () => {
    const unknown = await run(['query', '--sesion', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--sesion'");
    expect(unknown.stderr).toContain('usage: mcptrail query');
    const badPort = await run(['serve', '--port', 'http']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port');
    const badOutcome = await run(['query', '--db', path.join(dir, 'kill.db'), '--outcome', 'maybe']);
    expect(badOutcome.code).toBe(2);
    expect(badOutcome.stderr).toContain('--outcome');
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a command is required');
    const noCommand = await run(['frobnicate']);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain("unknown command 'frobnicate'");
  }, 60_000);

  it('read commands refuse a missing trail instead of creating one', async () => {
    const r = await run(['query', '--db', path.join(dir, 'nope.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MCPTRAIL_ERR_CLI_NO_STORE');
  });

  it('export --schema prints the audit record JSON schema; --help works per command', async () => {
    const schema = await run(['export', '--schema']);
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout).title).toBe('mcptrail audit record');
    const help = await run(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--retention-days');
  });
});
