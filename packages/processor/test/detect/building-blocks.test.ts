import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/detect/duration';
import { compileGlobs } from '../../src/detect/glob';
import { LruMap } from '../../src/detect/lru';
import { compileSuppress, groupKeyOf, groupKey, groupOf } from '../../src/detect/record-fields';
import { WindowCounter } from '../../src/detect/window-counter';

const ref = (seq: number) => ({ chain_id: 'main', seq, trace_id: null });

describe('WindowCounter', () => {
  it('counts hits and totals inside the window and forgets what slid out', () => {
    const w = new WindowCounter(60_000, 100, () => {});
    let c = w.add('g', 0, true, ref(1));
    expect([c.hits, c.total]).toEqual([1, 1]);
    w.add('g', 10_000, false, ref(2));
    c = w.add('g', 20_000, true, ref(3));
    expect([c.hits, c.total]).toEqual([2, 3]);
    expect(w.evidence('g', 20_000).map((r) => r.seq)).toEqual([1, 3]);
    c = w.add('g', 65_000, true, ref(4)); // the record at 0 slid out
    expect([c.hits, c.total]).toEqual([2, 3]);
    expect(w.evidence('g', 65_000).map((r) => r.seq)).toEqual([3, 4]);
    c = w.add('g', 10 * 60_000, true, ref(5));
    expect([c.hits, c.total]).toEqual([1, 1]);
  });

  it('counts late records in the oldest open slot instead of dropping them (a record dated ahead cannot switch the window off)', () => {
    const w = new WindowCounter(60_000, 100, () => {});
    w.add('g', 100_000, true, ref(1));
    expect(w.add('g', 70_000, true, ref(2)).hits).toBe(2);
    expect(w.add('g', 10_000, true, ref(3)).hits).toBe(3);
    // ... and they leave the window as it moves on.
    expect(w.add('g', 100_000 + 60_000, true, ref(4)).hits).toBe(1);
  });

  it('keeps groups apart and bounded', () => {
    let evicted = 0;
    const w = new WindowCounter(60_000, 10, () => void evicted++);
    for (let i = 0; i < 100; i++) w.add(`g${i}`, i, true, ref(i));
    expect(evicted).toBeGreaterThan(80);
    expect(w.add('g99', 200, true, ref(200)).hits).toBe(2);
  });

  it('drops groups whose window passed (not evictions), but not on a record dated ahead within the clock skew', () => {
    let evicted = 0;
    const w = new WindowCounter(60_000, 100_000, () => void evicted++);
    const t0 = Date.parse('2026-11-23T09:00:00Z');
    for (let i = 0; i < 5000; i++) w.add(`g${i}`, t0 + i, true, ref(i));
    expect(w.size).toBe(5000);
    // An attacker's record dated 5 min ahead (the most the receiver accepts): nothing expires,
    // and the active group keeps counting.
    w.add('ahead', t0 + 5 * 60_000, true, ref(9000));
    expect(w.size).toBe(5001);
    expect(w.add('g7', t0 + 10, true, ref(9001)).hits).toBe(2);
    // Control: once record time is past the window and the margin, the idle groups go.
    w.add('later', t0 + 12 * 60_000, true, ref(9002));
    expect(w.size).toBeLessThanOrEqual(2);
    expect(w.expired).toBeGreaterThanOrEqual(5000);
    expect(evicted).toBe(0);
    // An expired group that comes back starts empty, as its window would have been.
    expect(w.add('g7', t0 + 12 * 60_000 + 1, true, ref(9003)).hits).toBe(1);
  });
});

describe('LruMap', () => {
  it('evicts whole cold generations, keeps entries used every generation, calls onEvict', () => {
    const evicted: string[] = [];
    const m = new LruMap<string, number>(10, (k) => void evicted.push(k));
    m.set('hot', 0);
    for (let i = 0; i < 40; i++) {
      m.set(`k${i}`, i);
      expect(m.get('hot')).toBe(0);
      expect(m.size).toBeLessThanOrEqual(10);
    }
    expect(evicted).not.toContain('hot');
    expect(evicted).toContain('k0');
    expect(m.evictions).toBe(evicted.length);
    expect(m.has('k39')).toBe(true);
    expect(m.peek('k0')).toBeUndefined();
    expect([...m.entries()].length).toBe(m.size);
    m.delete('hot');
    expect(m.has('hot')).toBe(false);
  });

  it('with a byte budget, a few huge keys turn the generations over long before the count bound; bytes are accounted exactly', () => {
    const m = new LruMap<string, number>(100_000, undefined, { max: 10_000, of: (k) => k.length });
    for (let i = 0; i < 100; i++) {
      m.set(`${i}`.padEnd(1_000, 'x'), i);
      expect(m.bytes).toBeLessThanOrEqual(10_000);
      expect(m.bytes).toBe([...m.entries()].reduce((n, [k]) => n + k.length, 0));
    }
    expect(m.size).toBeLessThanOrEqual(10);
    expect(m.evictions).toBeGreaterThan(80);
    // Promotion from the old generation, overwrite and delete keep the sum.
    const [oldest] = [...m.entries()][0]!;
    m.get(oldest);
    m.set(oldest, -1);
    expect(m.bytes).toBe([...m.entries()].reduce((n, [k]) => n + k.length, 0));
    for (const [k] of [...m.entries()]) m.delete(k);
    expect(m.bytes).toBe(0);
    // Control: the count bound alone keeps every huge key.
    const counted = new LruMap<string, number>(100_000);
    for (let i = 0; i < 100; i++) counted.set(`${i}`.padEnd(1_000, 'x'), i);
    expect(counted.size).toBe(100);
  });
});

describe('globs, durations, groups and suppression', () => {
  it('globs match whole names, case-insensitively, with * and ?', () => {
    const g = compileGlobs(['read_*', '*secret*', 'a?c']);
    expect(['read_file', 'READ_X', 'get_secret_value', 'abc'].every(g)).toBe(true);
    expect(['unread_file', 'ac', 'abbc', 'send_email'].some(g)).toBe(false);
    expect(compileGlobs([])('x')).toBe(false);
    expect(compileGlobs(['a.b'])('axb')).toBe(false);
  });

  it('durations', () => {
    expect(['500ms', '30s', '5m', '2h', '7d', '1w', '1.5h'].map(parseDuration)).toEqual([500, 30_000, 300_000, 7_200_000, 604_800_000, 604_800_000, 5_400_000]);
    expect(['five', '5', '-5m', '0m', '5 m', ''].map(parseDuration)).toEqual([null, null, null, null, null, null]);
    expect([300_000, 90_000, 86_400_000, 1_500].map(formatDuration)).toEqual(['5m', '90s', '1d', '1500ms']);
  });

  it('groups: missing values show as (none); required fields skip the record', () => {
    const rec = { service: 'crm', actor_id: null, tool: 'lookup' };
    expect(groupOf(rec, ['service', 'actor_id'])).toEqual({ service: 'crm', actor_id: '(none)' });
    expect(groupOf(rec, ['service'], ['actor_id'])).toBeNull();
    expect(groupKeyOf(rec, ['service', 'actor_id'])).toBe(groupKey({ service: 'crm', actor_id: '(none)' }));
    expect(groupKeyOf(rec, ['service'], ['actor_id'])).toBeNull();
  });

  it('suppression: every field of one entry must match', () => {
    const s = compileSuppress([{ service: 'test-*' }, { actor_id: 'ci-bot', tool: ['ping', 'health*'] }]);
    expect(s({ service: 'test-crm' })).toBe(true);
    expect(s({ service: 'crm', actor_id: 'ci-bot', tool: 'healthcheck' })).toBe(true);
    expect(s({ service: 'crm', actor_id: 'ci-bot', tool: 'delete' })).toBe(false);
    expect(s({ service: 'crm', actor_id: null, tool: 'ping' })).toBe(false);
    expect(compileSuppress([])({ service: 'x' })).toBe(false);
  });
});
