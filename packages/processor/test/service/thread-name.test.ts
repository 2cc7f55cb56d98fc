/**
 * Worker threads name themselves (`mcptrail-<role>`) so that `top -H`, `perf` and the ingest
 * benchmark can tell their CPU apart; a name is per thread and never reaches the receiving thread
 * (whose name is the process's name in `ps`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { openSqliteStore } from '../../src/store/sqlite';
import { memoryLogger } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';
import { until } from './helpers';

const helper = path.resolve(__dirname, '../../dist/thread-name.js');

function threadNames(): string[] {
  const out: string[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      out.push(fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

const mainName = () => fs.readFileSync(`/proc/self/task/${process.pid}/comm`, 'utf8').trim();

describe.skipIf(process.platform !== 'linux')('thread names', () => {
  it('a worker names itself; the main thread keeps its name', async () => {
    const before = mainName();
    const code = `const fs = require('node:fs'); const { parentPort } = require('node:worker_threads');
      require(${JSON.stringify(helper)}).nameThisThread('verify'); parentPort.postMessage(fs.readFileSync('/proc/thread-self/comm', 'utf8').trim());`;
    const worker = new Worker(code, { eval: true });
    try {
      const named = await new Promise<string>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(named).toBe('mcptrail-verify');
      expect(threadNames()).toContain('mcptrail-verify');
    } finally {
      await worker.terminate();
    }
    expect(mainName()).toBe(before);
    expect(before).not.toMatch(/^mcptrail-/);
  });

  it('the sealer thread of a real pipeline shows as mcptrail-sealer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-thread-name-'));
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    const keyPath = defaultSigningKeyPath(dbPath);
    const pipeline = createAuditPipeline({
      store,
      redactor: testRedactor(),
      signer: loadOrCreateSigningKey(keyPath),
      logger: memoryLogger(),
      sealerThread: { trail: { kind: 'sqlite', path: dbPath, chainId: 'main' }, signingKeyPath: keyPath },
    });
    try {
      await until(() => threadNames().includes('mcptrail-sealer'));
      expect(threadNames().filter((n) => n === 'mcptrail-sealer')).toHaveLength(1);
    } finally {
      await pipeline.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Gone with its thread.
    await until(() => !threadNames().includes('mcptrail-sealer'));
  });
});
