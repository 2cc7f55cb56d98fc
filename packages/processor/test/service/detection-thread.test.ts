/**
 * Detection on its own thread (replica/detection-thread.ts): with the sealer thread on (a file
 * trail, the default), the receiving thread neither decodes sealed records nor folds them, and
 * nothing of detection's guarantees moves: alerts reach the sinks after the commit that stores
 * them, queries answer, and a SIGKILL between acknowledgement and detection leaves every call
 * counted exactly once after the restart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { DetectionThread } from '../../src/replica/detection-thread';
import { startProcessor } from '../../src/service';
import { until } from './helpers';
import { createEmitter } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-detect-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => createLogger({ level: 'silent', redactor: null });
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Observations of the service's own baseline: one per call folded in. */
function observed(p: { detector: import('../../src/detect/types').Detector | null }, service: string): number {
  return p.detector!.baselines({ service }).find((b) => b.kind === 'service')?.observations ?? 0;
}

describe('detection on its own thread', () => {
  it('raises alerts to the sinks and answers queries; the receiving thread holds no detector (control: an injected clock keeps it here)', async () => {
    const alertsFile = path.join(dir, 'alerts.ndjson');
    const config = loadConfig({ flags: { db: path.join(dir, 'a.db'), port: '0' } });
    config.sinks.file.path = alertsFile;
    const p = await startProcessor(config, { logger: quiet() });
    try {
      expect(p.detector).toBeInstanceOf(DetectionThread);
      const emitter = createEmitter(p.url, { format: 'proto', gzip: false, service: 'shell-mcp' });
      for (let i = 0; i < 20; i++) emitter.call({ tool: 'run_command', session: `s${i % 2}`, args: { cmd: `ls; rm -rf /tmp/${i}` } });
      await emitter.shutdown();
      // flush() returns once the detection thread folded (and committed) everything sealed.
      await p.pipeline.flush();
      expect(observed(p, 'shell-mcp')).toBe(20);
      const alerts = p.detector!.listAlerts({ rule_id: 'argument-injection' });
      expect(alerts.length).toBeGreaterThan(0);
      expect(p.detector!.stats().records_processed).toBe(20);
      // The alert reached the file sink (and the chained alert history) from the thread.
      await until(() => readFileSync(alertsFile, 'utf8').includes('argument-injection'));
      expect((await p.store.alertEvents(p.store.chainId)).length).toBeGreaterThan(0);
    } finally {
      await p.close();
    }
    // Control: an injected clock seals (and detects) on the receiving thread, with a plain detector.
    const here = await startProcessor(loadConfig({ flags: { db: path.join(dir, 'b.db'), port: '0' } }), { logger: quiet(), clock: Date.now });
    try {
      expect(here.detector).not.toBeNull();
      expect(here.detector).not.toBeInstanceOf(DetectionThread);
    } finally {
      await here.close();
    }
  });

  it('SIGKILL right after the acknowledgements: after restart every call is folded exactly once and alerted once', async () => {
    const db = path.join(dir, 'k.db');
    const child = spawn(process.execPath, [CLI, 'serve', '--db', db, '--port', '0', '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe']});
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        err += d;
        const m = /"url":"(http:[^"]+)"/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err.slice(-1000)}`)));
    });
    const calls = 300;
    const emitter = createEmitter(url, { format: 'proto', gzip: false, service: 'kill-mcp' });
    for (let i = 0; i < calls; i++) emitter.call({ tool: i % 50 === 0 ? 'run_command' : 'get_weather', session: `s${i % 7}`, args: i % 50 === 0 ? { cmd: `cat /etc/passwd; id #${i}` } : { city: `c${i}` } });
    await emitter.shutdown(); // every request acknowledged (= in the inbox, committed)
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const p = await startProcessor(loadConfig({ flags: { db, port: '0' } }), { logger: quiet() });
    try {
      await until(async () => (await p.store.count()) === calls, 10_000);
      await p.pipeline.flush();
      expect(observed(p, 'kill-mcp')).toBe(calls);
      const injection = p.detector!.listAlerts({ rule_id: 'argument-injection' });
      // One dedup group (service + tool): one alert, its repeats counted, never raised twice.
      expect(injection).toHaveLength(1);
      expect(injection[0]!.count).toBe(calls / 50);
    } finally {
      await p.close();
    }
    // And once more: a clean restart folds nothing again.
    const again = await startProcessor(loadConfig({ flags: { db, port: '0' } }), { logger: quiet() });
    try {
      await again.pipeline.flush();
      expect(observed(again, 'kill-mcp')).toBe(calls);
    } finally {
      await again.close();
    }
  }, 60_000);
});
