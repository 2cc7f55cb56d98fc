/**
 * A baseline's profile (hour of week, calls-per-minute band) and the minutes of the range
 * in which its calls fell outside the band, with those calls. Calls per minute come from the
 * store's rollup; only the records of the few outlying minutes are read.
 */
import type { AuditRecord } from '@mcptrail/conventions';
import type { BaselineView, Detector } from '../detect/types';
import type { AuditQuery, AuditStore } from '../store/types';

/** Calls per minute above mean + BAND_SIGMAS × stddev fall outside the band. */
export const BAND_SIGMAS = 3;
const OUTLIER_MINUTES = 5;
const CALLS_PER_MINUTE = 20;

export interface BaselineDetail {
  baseline: BaselineView;
  range: { since: string; until: string };
  /** null while the baseline warms up: no band yet, so no call is outside it. */
  band: { low: number; high: number; sigmas: number } | null;
  /** Calls per minute over the range (minutes with calls only). */
  minutes: Array<{ minute: string; calls: number; outside: boolean }>;
  /** The busiest outlying minutes and their calls (first CALLS_PER_MINUTE of each). */
  outside: Array<{ minute: string; calls: number; records: AuditRecord[] }>;
  /** Records sealed but not yet in these counts (0: exact); see Overview.coverage. */
  coverage: { pending_records: number };
}

function scopeOf(b: BaselineView): Omit<AuditQuery, 'limit' | 'after_seq'> {
  const where: Omit<AuditQuery, 'limit' | 'after_seq'> = { method: 'tools/call' };
  if (b.service !== null && b.kind !== 'actor') where.service = b.service;
  if (b.tool !== null) where.tool = b.tool;
  if (b.actor !== null) where.actor_id = b.actor;
  return where;
}

export async function buildBaselineDetail(
  store: AuditStore,
  detector: Detector,
  q: { kind: BaselineView['kind']; service?: string; tool?: string; actor?: string },
  range: { since: string; until: string },
): Promise<BaselineDetail | null> {
  const baseline = detector
    .baselines({ kind: q.kind, ...(q.service ? { service: q.service } : {}), ...(q.tool ? { tool: q.tool } : {}), ...(q.actor ? { actor: q.actor } : {}), limit: 50 })
    .find((b) => b.kind === q.kind && (q.service ?? null) === b.service && (q.tool ?? null) === b.tool && (q.actor ?? null) === b.actor);
  if (!baseline) return null;
  const { mean, stddev } = baseline.rate_per_minute;
  const band = baseline.warm ? { low: Math.max(0, mean - BAND_SIGMAS * stddev), high: mean + BAND_SIGMAS * stddev, sigmas: BAND_SIGMAS } : null;
  const where = { ...scopeOf(baseline), since: range.since, until: range.until };
  const counted = await store.rollup().count({ where, by: ['minute'], limit: 10_000 });
  const counts = counted.rows.sort((a, b) => String(a.key[0]).localeCompare(String(b.key[0])));
  const minutes = counts.map(({ key, n }) => ({ minute: key[0] ?? '', calls: n, outside: band !== null && n > band.high }));
  const worst = minutes.filter((m) => m.outside).sort((a, b) => b.calls - a.calls).slice(0, OUTLIER_MINUTES);
  const outside = await Promise.all(
    worst.map(async (m) => {
      const start = new Date(`${m.minute}:00Z`);
      const records = await store.query(
        { ...scopeOf(baseline), since: start.toISOString(), until: new Date(start.getTime() + 60_000).toISOString(), limit: CALLS_PER_MINUTE },
        'asc',
      );
      return { minute: m.minute, calls: m.calls, records };
    }),
  );
  return { baseline, range, band, minutes, outside, coverage: { pending_records: counted.pending } };
}
