/**
 * The overview page's data: calls by outcome, error/denied rates and alerts over time, top
 * tools, actors and services, for one time range. Every count comes from the store's rollup
 * (store/rollup-sql.ts): the cost follows the number of pre-counted groups, not of records.
 */
import type { AuditOutcome } from '@mcptrail/conventions';
import type { Alert, Detector } from '../detect/types';
import type { CountDimension } from '../store/aggregate';
import type { RollupQuery } from '../store/rollup-sql';
import type { AuditStore } from '../store/types';

export interface OverviewFilter {
  since: string;
  until: string;
  service?: string;
  tool?: string;
  actor?: string;
}

type Bucket = Extract<CountDimension, 'minute' | 'hour' | 'day'>;
type Outcomes = Record<AuditOutcome, number>;

export interface OverviewRow {
  name: string | null;
  calls: number;
  outcomes: Outcomes;
}

export interface Overview {
  range: { since: string; until: string; bucket: Bucket };
  totals: { calls: number; outcomes: Outcomes; error_rate: number; denied_rate: number; alerts: number };
  series: Array<{ bucket: string; outcomes: Outcomes; alerts: number }>;
  top_tools: OverviewRow[];
  top_actors: OverviewRow[];
  services: OverviewRow[];
  alerts_by_level: Record<string, number>;
  /** Records sealed but not yet in these counts (0: exact); non-zero only while the rollup catches up. */
  coverage: { pending_records: number };
}

const TOP = 10;
const HOUR_MS = 3_600_000;

/** Minute buckets up to 3 hours, hours up to 8 days, days beyond: at most ~200 points. */
export function bucketFor(sinceMs: number, untilMs: number): Bucket {
  const span = untilMs - sinceMs;
  if (span <= 3 * HOUR_MS) return 'minute';
  if (span <= 8 * 24 * HOUR_MS) return 'hour';
  return 'day';
}

const BUCKET_CHARS: Record<Bucket, number> = { minute: 16, hour: 13, day: 10 };
const zero = (): Outcomes => ({ ok: 0, error: 0, tool_error: 0, denied: 0 });

function rows(counts: Array<{ key: Array<string | null>; n: number }>, limit: number): OverviewRow[] {
  const byName = new Map<string | null, OverviewRow>();
  for (const { key, n } of counts) {
    const [name, outcome] = key as [string | null, string | null];
    let row = byName.get(name);
    if (!row) {
      row = { name, calls: 0, outcomes: zero() };
      byName.set(name, row);
    }
    row.calls += n;
    if (outcome && outcome in row.outcomes) row.outcomes[outcome as AuditOutcome] += n;
  }
  return [...byName.values()].sort((a, b) => b.calls - a.calls || String(a.name).localeCompare(String(b.name))).slice(0, limit);
}

export async function buildOverview(store: AuditStore, detector: Detector | null, f: OverviewFilter): Promise<Overview> {
  const bucket = bucketFor(Date.parse(f.since), Date.parse(f.until));
  // Every MCP request the trail holds (tools/call, initialize, …), from the rollup: whole
  // buckets pre-counted, only the partial ones at the ends and the newest records read.
  const where: RollupQuery['where'] = { since: f.since, until: f.until };
  if (f.service) where.service = f.service;
  if (f.tool) where.tool = f.tool;
  if (f.actor) where.actor_id = f.actor;
  const rollup = store.rollup();
  let pending = 0;
  const count = async (q: RollupQuery) => {
    const a = await rollup.count(q);
    pending = Math.max(pending, a.pending);
    return a.rows;
  };
  // One after another: on PostgreSQL a page must not take every pooled connection the sealer needs.
  const byOutcome = await count({ where, by: ['outcome'] });
  const byBucket = await count({ where, by: [bucket, 'outcome'] });
  const byTool = await count({ where, by: ['tool', 'outcome'] });
  const byService = await count({ where, by: ['service', 'outcome'] });
  const byActor = await count({ where, by: ['actor_id'], limit: TOP + 1 });
  const deniedActors = await count({ where: { ...where, outcome: 'denied' }, by: ['actor_id'], limit: TOP });
  const toolRows = byTool.filter((r) => r.key[0] !== null);

  const outcomes = zero();
  let calls = 0;
  for (const { key, n } of byOutcome) {
    calls += n;
    if (key[0] && key[0] in outcomes) outcomes[key[0] as AuditOutcome] += n;
  }

  const series = new Map<string, { bucket: string; outcomes: Outcomes; alerts: number }>();
  const point = (b: string) => {
    let p = series.get(b);
    if (!p) {
      p = { bucket: b, outcomes: zero(), alerts: 0 };
      series.set(b, p);
    }
    return p;
  };
  for (const { key, n } of byBucket) {
    const [b, outcome] = key;
    if (b && outcome && outcome in outcomes) point(b).outcomes[outcome as AuditOutcome] += n;
  }

  const alerts: Alert[] = detector
    ? detector.listAlerts({ since: f.since, limit: 1000 }).filter((a) => a.time < f.until && matchesGroup(a, f))
    : [];
  const alertsByLevel: Record<string, number> = {};
  for (const a of alerts) {
    point(a.time.slice(0, BUCKET_CHARS[bucket])).alerts += 1;
    alertsByLevel[a.level] = (alertsByLevel[a.level] ?? 0) + 1;
  }

  // Actors: the busiest, plus those refused most (auth failures matter more than volume).
  // Records without an actor (stdio servers) are no actor: they are left out of this list.
  const actorNames = [...new Set([...byActor, ...deniedActors].map((r) => r.key[0]).filter((a): a is string => a !== null))];
  const actorCounts = [];
  for (const a of actorNames) actorCounts.push(await count({ where: { ...where, actor_id: a }, by: ['actor_id', 'outcome'] }));
  const topActors = rows(actorCounts.flat(), TOP * 2);

  // Every bucket of the range, empty ones included, so the time axis is even.
  for (const b of bucketsBetween(f.since, f.until, bucket)) point(b);

  return {
    range: { since: f.since, until: f.until, bucket },
    totals: {
      calls,
      outcomes,
      error_rate: calls ? (outcomes.error + outcomes.tool_error) / calls : 0,
      denied_rate: calls ? outcomes.denied / calls : 0,
      alerts: alerts.length,
    },
    series: [...series.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)),
    top_tools: rows(toolRows, TOP),
    top_actors: topActors.sort((a, b) => b.calls - a.calls).slice(0, TOP),
    services: rows(byService, TOP),
    alerts_by_level: alertsByLevel,
    coverage: { pending_records: pending },
  };
}

const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: HOUR_MS, day: 24 * HOUR_MS };

/** Bucket keys (ISO text prefixes) from the one holding `since` to the one holding `until`. */
export function bucketsBetween(since: string, until: string, bucket: Bucket): string[] {
  const step = BUCKET_MS[bucket];
  const out: string[] = [];
  const end = Date.parse(until);
  for (let t = Math.floor(Date.parse(since) / step) * step; t < end && out.length < 1000; t += step) {
    out.push(new Date(t).toISOString().slice(0, BUCKET_CHARS[bucket]));
  }
  return out;
}

/** An alert belongs to a filtered overview when its group does not contradict the filter. */
function matchesGroup(a: Alert, f: OverviewFilter): boolean {
  const g = a.group;
  if (f.service && g.service !== undefined && g.service !== f.service) return false;
  if (f.tool && g.tool !== undefined && g.tool !== f.tool) return false;
  if (f.actor && g.actor_id !== undefined && g.actor_id !== f.actor) return false;
  return true;
}
