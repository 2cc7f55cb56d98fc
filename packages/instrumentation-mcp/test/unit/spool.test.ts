/**
 * The on-disk spool's bounds: size (oldest dropped first, counted, reported), age (dropped at
 * replay), a line cut short by a crash (skipped, the rest kept), and claim (one replayer at a time).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/otel-sdk/spool';

let dir: string;
let warnings: string[];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-spool-unit-'));
  warnings = [];
  const logger: DiagLogger = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterEach(() => {
  diag.disable();
  rmSync(dir, { recursive: true, force: true });
});

const body = (n: number): Uint8Array => Buffer.alloc(100, n);
const spool = (maxBytes = 1_000_000, maxAgeMillis = 3_600_000) => new Spool({ dir, service: 'svc/../x', maxBytes, maxAgeMillis });

describe('Spool', () => {
  it('keeps the file inside its directory whatever the service name', () => {
    expect(path.dirname(spool().file)).toBe(dir);
    expect(path.basename(spool().file)).toBe('svc_.._x.jsonl');
  });

  it('gives back what was appended, in order, and is empty after a claim', () => {
    const s = spool();
    for (let i = 0; i < 3; i++) expect(s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: i + 1, body: body(i) })).toBe(true);
    const entries = s.claim();
    expect(entries.map((e) => e.count)).toEqual([1, 2, 3]);
    expect(Buffer.from(entries[2]?.body ?? '', 'base64')).toEqual(Buffer.from(body(2)));
    expect(s.claim()).toEqual([]);
    expect(s.size()).toBe(0);
  });

  it('drops the oldest entries at the size bound, counts them and says so', () => {
    const s = spool(2_000);
    for (let i = 0; i < 20; i++) s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: 10, body: body(i) });
    expect(s.size()).toBeLessThanOrEqual(2_000);
    const kept = s.claim();
    expect(kept.length).toBeGreaterThan(0);
    // The newest survives; what was dropped is exactly what is missing.
    expect(Buffer.from(kept.at(-1)?.body ?? '', 'base64')[0]).toBe(19);
    expect(s.dropped.logs).toBe((20 - kept.length) * 10);
    expect(warnings.some((w) => w.includes('MCPTRAIL_SPOOL_MAX_BYTES'))).toBe(true);
  });

  it('drops entries older than the age bound when replaying, counted', () => {
    const s = spool(1_000_000, 60_000);
    s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: 5, body: body(1) });
    const [line] = readFileSync(s.file, 'utf8').trim().split('\n');
    const old = { ...JSON.parse(line as string), at: Date.now() - 120_000 };
    writeFileSync(s.file, `${JSON.stringify(old)}\n`);
    s.append({ signal: 'traces', format: 'http/protobuf', to: 'http://x/v1/traces', count: 2, body: body(2) });
    expect(s.claim().map((e) => e.signal)).toEqual(['traces']);
    expect(s.dropped).toEqual({ logs: 5, traces: 0 });
    expect(warnings.some((w) => w.includes('MCPTRAIL_SPOOL_MAX_AGE_HOURS'))).toBe(true);
  });

  it('skips a line cut short by a crash and keeps the others', () => {
    const s = spool();
    s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: 1, body: body(1) });
    appendFileSync(s.file, '{"v":1,"signal":"logs","to":"http://x","format":"http/pro');
    s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: 3, body: body(3) });
    // The next append starts on a new line, so only the cut entry is lost.
    expect(s.claim().map((e) => e.count)).toEqual([1, 3]);
  });

  it('hands the entries to one replayer: a second claim in the middle gets nothing, putBack returns the rest', () => {
    const s = spool();
    s.append({ signal: 'logs', format: 'http/protobuf', to: 'http://x/v1/logs', count: 4, body: body(4) });
    const first = s.claim();
    expect(spool().claim()).toEqual([]);
    s.putBack(first);
    expect(spool().claim().map((e) => e.count)).toEqual([4]);
  });
});
