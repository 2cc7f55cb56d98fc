import type { AuditRecord } from '@mcptrail/conventions';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/engine';
import { hourOfWeekIn } from '../../src/detect/hour-of-week';
import { loadRules, parseRules } from '../../src/detect/load-rules';
import type { Detector } from '../../src/detect/types';
import { DAY, HOUR, harness, MINUTE, normalTraffic, only, record, removeTempDbs, T0, tempDbPath } from './helpers';

afterAll(removeTempDbs);

/** Everything a replay must reproduce: every baseline of every kind, and the alerts. */
function snapshot(d: Detector) {
  return {
    baselines: d.baselines({ limit: 1000 }),
    alerts: d.listAlerts({ limit: 1000 }),
  };
}

/** A day of mixed traffic with a few attacks in it. */
function dayOfTraffic(): AuditRecord[] {
  const recs = normalTraffic(T0, 24 * 60, 2);
  recs.push(record({ timeMs: T0 + 3 * HOUR, tool: 'search', args: { q: "x' OR 1=1 --" } }));
  recs.push(record({ timeMs: T0 + 5 * HOUR, tool: 'get_weather', tool_schema_version: 'sha256:cccccccccccccccc' }));
  for (let i = 0; i < 8; i++) recs.push(record({ timeMs: T0 + 7 * HOUR + i * 1000, actor_id: 'mallory', outcome: 'denied', args_size: 500 + i }));
  return recs.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

describe('replay', () => {
  it('reset + process over the trail reproduces the same baselines and alerts, whatever the batching', () => {
    const recs = dayOfTraffic();
    const h = harness();
    for (let i = 0; i < recs.length; i += 500) h.detector.process(recs.slice(i, i + 500));
    const first = snapshot(h.detector);
    expect(first.alerts.map((a) => a.rule_id).sort()).toEqual(['argument-injection', 'denied-burst', 'tool-definition-changed']);
    expect(first.baselines.length).toBeGreaterThan(10);

    h.detector.reset();
    expect(snapshot(h.detector)).toEqual({ baselines: [], alerts: [] });
    for (let i = 0; i < recs.length; i += 37) h.detector.process(recs.slice(i, i + 37));
    expect(snapshot(h.detector)).toEqual(first);
  });

  it('baselines and dedup state survive a restart on the same file', () => {
    const file = tempDbPath();
    const recs = dayOfTraffic();
    const a = harness(undefined, file);
    a.detector.process(recs);
    const before = snapshot(a.detector);
    a.db.close();

    const b = harness(undefined, file);
    expect(snapshot(b.detector)).toEqual(before);
    // A repeat of the injection within its dedup window bumps the stored alert, not a new one.
    const again = b.detector.process([record({ timeMs: T0 + 3 * HOUR + MINUTE, tool: 'search', args: { q: "y' OR 1=1 --" } })]);
    expect(again).toEqual([]);
    expect(b.detector.listAlerts({ rule_id: 'argument-injection' })[0]?.count).toBe(2);
  });
});

describe('baselines', () => {
  it('hold rate, ratios, argument size, hour-of-week, schema version and transitions per key', () => {
    const h = harness();
    h.detector.process(dayOfTraffic());
    const [tool] = h.detector.baselines({ kind: 'service_tool', tool: 'get_weather' });
    // The one call with another definition (an alert) was followed by the usual one again.
    expect(tool).toMatchObject({ kind: 'service_tool', service: 'weather-server', tool: 'get_weather', actor: null, schema_version: 'sha256:aaaaaaaaaaaaaaaa' });
    expect(tool?.rate_per_minute.mean).toBeGreaterThan(0.4);
    expect(tool?.rate_per_minute.mean).toBeLessThan(1.2);
    expect(tool?.hour_of_week.reduce((x, y) => x + y, 0)).toBe(tool?.observations);
    expect(tool?.hour_of_week[1 * 24 + 9]).toBeGreaterThan(0); // Monday 09:00 UTC
    expect(tool?.args_size.median).toBeGreaterThanOrEqual(20);
    const [mallory] = h.detector.baselines({ kind: 'actor', actor: 'mallory' });
    expect(mallory).toMatchObject({ observations: 8, denied_ratio: 1, error_ratio: 0 });
    expect(mallory?.args_size).toEqual({ median: 503.5, mad: 2, samples: 8 });
    const [service] = h.detector.baselines({ kind: 'service' });
    expect(service?.transitions).toBeGreaterThan(3);
    expect(service?.warm).toBe(true);
    expect(h.detector.baselines({ kind: 'actor_tool', actor: 'agent-a' }).map((b) => b.tool).sort()).toEqual(['get_forecast', 'get_weather', 'list_cities', 'search']);
    expect(h.detector.baselines({ kind: 'actor_service', actor: 'agent-b' })).toHaveLength(1);
  });

  it('stay bounded in memory: cold keys are evicted (counted) and still known afterwards', () => {
    const rules = parseRules(`settings: { max_baseline_keys: 100 }\n${only(`
- id: new-actor-tool
  title: New pair
  level: low
  type: new_actor_tool
  params: { new_actors: false, warmup: { min_observations: 10, min_age: 1m } }
`)}`, 'rules.yaml');
    const h = harness(rules);
    const recs = Array.from({ length: 1000 }, (_, i) => record({ timeMs: T0 + i * 1000, actor_id: `actor-${i % 400}`, tool: 'get_weather' }));
    h.detector.process(recs);
    const stats = h.detector.stats();
    expect(stats.baseline_keys_in_memory).toBeLessThanOrEqual(100);
    expect(stats.baseline_evictions).toBeGreaterThan(1000);
    expect(h.detector.baselines({ kind: 'actor', limit: 1000 })).toHaveLength(400);
    // actor-5 with get_weather was evicted long ago; it is still a known pair.
    expect(h.detector.process([record({ timeMs: T0 + 2000 * 1000, actor_id: 'actor-5', tool: 'get_weather' })])).toEqual([]);
    expect(h.detector.process([record({ timeMs: T0 + 2001 * 1000, actor_id: 'actor-5', tool: 'get_forecast' })])).toHaveLength(1);
    const [a5] = h.detector.baselines({ kind: 'actor', actor: 'actor-5' });
    expect(a5?.observations).toBe(5);
  });
});

describe('alerts', () => {
  const injection = (extra = '') =>
    only(`
- id: argument-injection
  title: Injection
  level: high
  tags: [owasp-mcp:MCP05]
  type: argument_injection
  dedup_window: 10m
${extra}`);
  const bad = (timeMs: number, over: Partial<AuditRecord> = {}) => record({ timeMs, tool: 'search', args: { q: '../../etc/passwd' }, ...over });

  it('repeats within dedup_window bump count and add evidence; later ones raise a new alert', () => {
    const h = harness(injection());
    const r1 = bad(T0);
    const r2 = bad(T0 + MINUTE);
    const r3 = bad(T0 + 2 * MINUTE);
    const first = h.detector.process([r1, r2, r3]);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ count: 1, tags: ['owasp-mcp:MCP05'], dedup_key: 'argument-injection|{"actor_id":"agent-a","service":"weather-server","tool":"search"}' });
    expect(first[0]?.evidence.records).toEqual([{ chain_id: 'main', seq: r1.seq }]);
    const [stored] = h.detector.listAlerts({});
    expect(stored).toMatchObject({ id: first[0]?.id, count: 3, last_time: r3.time });
    expect(stored?.evidence.records.map((r) => r.seq)).toEqual([r1.seq, r2.seq, r3.seq]);
    expect(stored?.evidence.trace_ids).toEqual([r1.trace_id, r2.trace_id, r3.trace_id]);

    const later = h.detector.process([bad(T0 + 11 * MINUTE)]);
    expect(later).toHaveLength(1);
    expect(later[0]?.id).not.toBe(first[0]?.id);
    // Another group is another alert.
    expect(h.detector.process([bad(T0 + 12 * MINUTE, { actor_id: 'agent-b' })])).toHaveLength(1);
    expect(h.detector.stats()).toMatchObject({ alerts_raised: 3, alerts_repeated: 2 });
  });

  it('suppression lists skip matching records', () => {
    const h = harness(injection(`  suppress:\n    - { service: 'test-*' }\n    - { actor_id: ci-bot, tool: [search, lookup] }\n`));
    expect(h.detector.process([bad(T0, { service: 'test-weather' })])).toEqual([]);
    expect(h.detector.process([bad(T0, { actor_id: 'ci-bot' })])).toEqual([]);
    expect(h.detector.process([bad(T0, { actor_id: 'ci-bot', tool: 'other' })])).toHaveLength(1);
    expect(h.detector.process([bad(T0, { service: 'prod-weather' })])).toHaveLength(1);
    expect(h.detector.stats().suppressed_evaluations).toBe(2);
  });

  it('listAlerts filters by rule, level and time, newest first', () => {
    const h = harness();
    h.detector.process(dayOfTraffic());
    const all = h.detector.listAlerts({});
    expect(all.map((a) => a.time)).toEqual([...all.map((a) => a.time)].sort().reverse());
    expect(h.detector.listAlerts({ level: 'high' }).every((a) => a.level === 'high')).toBe(true);
    expect(h.detector.listAlerts({ rule_id: 'denied-burst' })).toHaveLength(1);
    expect(h.detector.listAlerts({ since: new Date(T0 + 4 * HOUR).toISOString() }).map((a) => a.rule_id).sort()).toEqual(['denied-burst', 'tool-definition-changed']);
    expect(h.detector.listAlerts({ limit: 1 })).toHaveLength(1);
  });
});

describe('retention', () => {
  it('purgeBefore drops old alerts and cold baselines; purged pairs are new again', () => {
    const h = harness(only(`
- id: argument-injection
  title: Injection
  level: high
  type: argument_injection
- id: new-actor-tool
  title: New pair
  level: low
  type: new_actor_tool
  params: { new_actors: false, warmup: { min_observations: 10, min_age: 1m } }
`));
    h.detector.process([record({ timeMs: T0, actor_id: 'old-timer', tool: 'search', args: { q: '$(id)' } })]);
    h.detector.process(normalTraffic(T0 + 40 * DAY, 60));
    expect(h.detector.listAlerts({})).toHaveLength(1);
    const purged = h.detector.purgeBefore(new Date(T0 + 30 * DAY));
    expect(purged).toEqual({ alerts: 1, baselines: 4 }); // actor, actor_tool, actor_service of old-timer; service_tool of search
    expect(h.detector.listAlerts({})).toEqual([]);
    expect(h.detector.baselines({ actor: 'old-timer' })).toEqual([]);
    expect(h.detector.baselines({ kind: 'service' })[0]?.observations).toBe(241);
    const back = h.detector.process([record({ timeMs: T0 + 41 * DAY, actor_id: 'old-timer', tool: 'get_weather' })]);
    expect(back).toEqual([]); // a new actor, and new actors are off in this rule
    expect(h.detector.process([record({ timeMs: T0 + 41 * DAY + 1, actor_id: 'old-timer', tool: 'search' })]).map((a) => a.rule_id)).toEqual(['new-actor-tool']);
    expect(() => h.detector.purgeBefore(new Date('nope'))).toThrow(/cutoff/);
  });
});

describe('robustness', () => {
  it('skips records without a usable time, and keeps going', () => {
    const h = harness();
    const alerts = h.detector.process([record({ time: 'not a date' } as Partial<AuditRecord>), record({ timeMs: T0, args: { q: '$(id)' } })]);
    expect(alerts).toHaveLength(1);
    expect(h.detector.stats()).toMatchObject({ records_skipped: 1, records_processed: 1 });
  });

  it('malformed records are skipped one by one; the rest of the batch is evaluated', () => {
    const h = harness();
    const junk = [
      { ...record(), time: 12 },
      { ...record(), service: null },
      { ...record(), tool: 42, args: { a: [[[['$(id)']]]] }, args_size: 'big' },
      { ...record(), args: 'plain string ; rm -rf /', outcome: 'weird' },
      { ...record(), session_id: { nested: true }, trace_id: 7 },
      { ...record(), time: '+275760-09-13T00:00:00.000Z' },
      null,
      {},
    ] as unknown as AuditRecord[];
    const good = record({ timeMs: T0 + MINUTE, tool: 'search', args: { q: '../../etc/passwd' } });
    const alerts = h.detector.process([...junk, good]);
    expect(alerts.map((a) => a.evidence.records[0]?.seq)).toContain(good.seq);
    const stats = h.detector.stats();
    expect(stats.records_skipped + stats.records_processed).toBe(junk.length + 1);
    expect(stats.records_skipped).toBeGreaterThanOrEqual(3);
  });

  it('a storage failure rolls the batch back, resyncs memory and throws, so a retry folds it once', () => {
    const lines: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (msg: string) => void lines.push(msg),
      child() {
        return logger;
      },
    };
    const db = new Database(':memory:');
    const d = createDetector({ rules: loadRules(null), db, logger, clock: () => T0 });
    d.process(normalTraffic(T0, 10));
    const before = d.baselines({ kind: 'service' })[0]?.observations;
    expect(before).toBe(40);
    const batch = [...normalTraffic(T0 + 10 * MINUTE, 5), record({ timeMs: T0 + 16 * MINUTE, args: { q: '$(id)' } })];
    db.exec(`CREATE TRIGGER full BEFORE INSERT ON detect_alerts BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(() => d.process(batch)).toThrow(/disk full/);
    expect(lines).toEqual(['detection could not store the state of a record batch; rolled back']);
    expect(d.baselines({ kind: 'service' })[0]?.observations).toBe(before);
    db.exec('DROP TRIGGER full');
    expect(d.process(batch).map((a) => a.rule_id)).toEqual(['argument-injection']);
    expect(d.baselines({ kind: 'service' })[0]?.observations).toBe(before + batch.length);
    expect(d.listAlerts({})).toHaveLength(1);
  });
});

describe('hour of week', () => {
  it('is computed in the configured time zone, including half-hour offsets', () => {
    const t = Date.parse('2026-03-02T09:00:00Z'); // Monday
    expect(hourOfWeekIn('UTC')(t)).toBe(24 + 9);
    expect(hourOfWeekIn('Asia/Kolkata')(t)).toBe(24 + 14); // 14:30 local
    expect(hourOfWeekIn('Pacific/Auckland')(t)).toBe(24 + 22); // 22:00 local (NZDT, +13)
    expect(hourOfWeekIn('Pacific/Auckland')(t + 2 * HOUR)).toBe(2 * 24); // Tuesday 00:00 local
  });

  it('maps a week of hours onto 168 distinct bins', () => {
    const how = hourOfWeekIn('Europe/Paris');
    const seen = new Set<number>();
    for (let h = 0; h < 168; h++) seen.add(how(Date.parse('2026-06-07T00:00:00Z') + h * HOUR));
    expect(seen.size).toBe(168);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(167);
    expect(DAY).toBe(24 * HOUR);
  });
});
