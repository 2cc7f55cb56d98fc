/** Realistic audit records and a detector on a fresh SQLite file, with a deterministic clock. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import Database from 'better-sqlite3';
import { createDetector } from '../../src/detect/engine';
import { loadRules, parseRules } from '../../src/detect/load-rules';
import type { Detector, RuleSet } from '../../src/detect/types';
import { silentLogger } from '../../src/logger';

export const T0 = Date.parse('2026-03-02T09:00:00.000Z'); // a Monday, 09:00 UTC
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

let seq = 0;

export function record(over: Partial<AuditRecord> & { timeMs?: number } = {}): AuditRecord {
  const { timeMs, ...rest } = over;
  seq++;
  const hex = seq.toString(16).padStart(16, '0');
  return {
    schema_version: '1',
    chain_id: 'main',
    seq,
    time: new Date(timeMs ?? T0).toISOString(),
    service: 'weather-server',
    service_instance: null,
    side: 'server',
    session_id: 'sess-1',
    method: 'tools/call',
    tool: 'get_weather',
    resource_uri: null,
    prompt: null,
    jsonrpc_request_id: String(seq),
    actor_id: 'agent-a',
    actor_scope: null,
    client_name: 'test-agent',
    client_version: '1.0.0',
    client_address: null,
    server_name: 'weather',
    server_version: '1.0.0',
    protocol_version: '2025-06-18',
    args: { city: 'Paris' },
    args_hash: 'hmac:k1:paris',
    args_size: 16,
    result: { content_count: 1, content_types: ['text'], size: 120, is_error: false },
    outcome: 'ok',
    error_type: null,
    error_message: null,
    duration_ms: 12,
    tool_schema_version: 'sha256:aaaaaaaaaaaaaaaa',
    tool_destructive: null,
    trace_id: hex.padStart(32, '0'),
    span_id: hex,
    parent_span_id: null,
    source: 'span+log',
    prev_hash: '0'.repeat(64),
    hash: '1'.repeat(64),
    ...rest,
  };
}

const TOOLS = ['get_weather', 'get_forecast', 'list_cities'];
const ACTORS = ['agent-a', 'agent-b', 'agent-c'];

/**
 * Normal traffic: `perMinute` calls a minute for `minutes` from `start`, spread over a
 * few actors, tools and sessions in a fixed rotation (same input → same records).
 */
export function normalTraffic(start: number, minutes: number, perMinute = 4, over: Partial<AuditRecord> = {}): AuditRecord[] {
  const out: AuditRecord[] = [];
  let i = 0;
  for (let m = 0; m < minutes; m++) {
    for (let k = 0; k < perMinute; k++) {
      const tool = TOOLS[i % TOOLS.length] as string;
      const actor = ACTORS[Math.floor(i / TOOLS.length) % ACTORS.length] as string;
      out.push(
        record({
          timeMs: start + m * MINUTE + Math.floor((k * MINUTE) / perMinute),
          tool,
          actor_id: actor,
          session_id: `sess-${actor}-${Math.floor(m / 30)}`,
          args: { city: `city-${i % 7}` },
          args_hash: `hmac:k1:${i % 50}`,
          args_size: 20 + (i % 5),
          ...over,
        }),
      );
      i++;
    }
  }
  return out;
}

const tempDirs: string[] = [];

/** A SQLite file in a new temporary directory (removed by removeTempDbs). */
export function tempDbPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-detect-'));
  tempDirs.push(dir);
  return path.join(dir, 'trail.db');
}

export function removeTempDbs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface Harness {
  detector: Detector;
  db: Database.Database;
  now: { value: number };
  rules: RuleSet;
}

/** A detector over `rules` (YAML text, a RuleSet, or the built-ins) on a new in-memory database, or on `dbPath`. */
export function harness(rules?: string | RuleSet, dbPath = ':memory:'): Harness {
  const db = new Database(dbPath);
  if (dbPath !== ':memory:') db.pragma('journal_mode = WAL');
  const set = typeof rules === 'string' ? parseRules(rules, 'test-rules.yaml') : (rules ?? loadRules(null));
  const now = { value: T0 };
  const detector = createDetector({ rules: set, db, clock: () => now.value, logger: silentLogger });
  return { detector, db, now, rules: set };
}

/** A rule file holding only `rule` (YAML of one rule, indented by the caller's template). */
export function only(ruleYaml: string): string {
  return `rules:\n${ruleYaml
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}
