/**
 * Alerts: persisted in `detect_alerts` (same SQLite file as the trail), deduplicated by
 * key within each rule's `dedup_window`: a repeat bumps `count` and `last_time` on the
 * stored alert and adds its evidence (up to a cap) instead of raising a new alert.
 * Deduplication never hides a different finding: a firing whose `finding` (what was
 * found: an injection category, a tool pair, ...) is new to the open alert, or whose
 * level is higher, raises a new alert that `supersedes` the open one and takes its place.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@mcptrail/conventions';
import type { Database, Statement } from 'better-sqlite3';
import type { RefWithTrace } from './baseline-entry';
import { LruMap } from './lru';
import { ALERT_LEVELS, type Alert, type AlertLevel, type AlertQuery, type Rule } from './types';

/** Evidence kept per alert: the first records and a few repeats, never an unbounded list. */
export const MAX_EVIDENCE = 20;
const MAX_OPEN_KEYS = 50_000;
/** Open alerts by estimated bytes too: a dedup key holds the group (huge actor or tool names from a flood). */
const MAX_OPEN_BYTES = 32 * 1024 * 1024;
const OPEN_ALERT_BYTES = 4_096;
/**
 * Calls detected before they were sealed (replica/detection-state.ts) stand in evidence as a
 * placeholder seq < 0 until their record is sealed; remembered for this many calls at most.
 */
const MAX_PLACEHOLDERS = 50_000;
/** Distinct findings remembered per alert (a new one notifies again). */
export const MAX_FINDINGS = 32;
const rank = (level: AlertLevel) => ALERT_LEVELS.indexOf(level);

export interface Firing {
  group: Record<string, string>;
  summary: string;
  timeMs: number;
  refs: RefWithTrace[];
  /** What was found, when a rule can find different things in one group (compared, never parsed). */
  finding?: string;
  /** Raises above the rule's level for this finding. */
  level?: AlertLevel;
}

interface OpenAlert {
  id: string;
  firstMs: number;
  lastMs: number;
  count: number;
  level: AlertLevel;
  findings: string[];
  evidence: Alert['evidence'];
}

interface AlertRow {
  id: string;
  time_ms: number;
  last_ms: number;
  count: number;
  body: string;
  evidence: string;
}

export class AlertBook {
  // Every write waits for flush() (the detector's commit, beside its cursor): an open alert
  // evicted before it is kept here, so a repeat finds it and not its older row.
  private readonly open = new LruMap<string, OpenAlert>(
    MAX_OPEN_KEYS,
    (key, alert) => {
      if (this.pending > 0) this.evicted.set(key, alert);
    },
    { max: MAX_OPEN_BYTES, of: (key) => OPEN_ALERT_BYTES + 2 * key.length },
  );
  private readonly evicted = new Map<string, OpenAlert>();
  private readonly repeated = new Set<OpenAlert>();
  /** Placeholder seq → open alerts whose evidence waits for that call's sealed seq. */
  private readonly awaiting = new LruMap<number, OpenAlert[]>(MAX_PLACEHOLDERS);
  /** Placeholder seq → the seq its call was sealed at (rule windows still hold the placeholder). */
  private readonly resolved = new LruMap<number, number>(MAX_PLACEHOLDERS);
  /** Placeholder citations and resolutions not stored yet (they survive a restart: the record may be sealed after it). */
  private awaitWrites: Array<[number, string]> = [];
  private resolveWrites: number[] = [];
  /** New alerts raised since the last flush. */
  private inserts: Array<Record<string, unknown> & { id: string }> = [];
  private readonly insert: Statement;
  private readonly insertAwait: Statement;
  private readonly awaitingIds: Statement;
  private readonly deleteAwait: Statement;
  private readonly byId: Statement;
  private readonly update: Statement;
  private readonly latestByKey: Statement;

  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS detect_alerts (
      id TEXT NOT NULL PRIMARY KEY, dedup_key TEXT NOT NULL, rule_id TEXT NOT NULL, level TEXT NOT NULL,
      time_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, count INTEGER NOT NULL,
      body TEXT NOT NULL, evidence TEXT NOT NULL)`);
    db.exec('CREATE INDEX IF NOT EXISTS detect_alerts_key ON detect_alerts (dedup_key, time_ms)');
    db.exec('CREATE INDEX IF NOT EXISTS detect_alerts_time ON detect_alerts (time_ms)');
    db.exec('CREATE INDEX IF NOT EXISTS detect_alerts_rule ON detect_alerts (rule_id, time_ms)');
    this.insert = db.prepare(`INSERT OR REPLACE INTO detect_alerts
      (id, dedup_key, rule_id, level, time_ms, last_ms, count, body, evidence)
      VALUES (@id, @dedup_key, @rule_id, @level, @time_ms, @last_ms, @count, @body, @evidence)`);
    this.update = db.prepare('UPDATE detect_alerts SET count = ?, last_ms = ?, evidence = ? WHERE id = ?');
    db.exec(`CREATE TABLE IF NOT EXISTS detect_alert_awaiting (placeholder INTEGER NOT NULL, alert_id TEXT NOT NULL, PRIMARY KEY (placeholder, alert_id))`);
    this.insertAwait = db.prepare('INSERT OR IGNORE INTO detect_alert_awaiting (placeholder, alert_id) VALUES (?, ?)');
    this.awaitingIds = db.prepare('SELECT alert_id FROM detect_alert_awaiting WHERE placeholder = ?').pluck();
    this.deleteAwait = db.prepare('DELETE FROM detect_alert_awaiting WHERE placeholder = ?');
    this.byId = db.prepare('SELECT id, dedup_key, time_ms, last_ms, count, body, evidence FROM detect_alerts WHERE id = ?');
    this.latestByKey = db.prepare(
      'SELECT id, time_ms, last_ms, count, body, evidence FROM detect_alerts WHERE dedup_key = ? ORDER BY time_ms DESC LIMIT 1',
    );
  }

  /** A new alert, or null when it repeats an open one (whose count is bumped). */
  raise(rule: Rule, f: Firing): Alert | null {
    const dedupKey = `${rule.id}|${canonicalJson(f.group)}`;
    const level = f.level && rank(f.level) > rank(rule.level) ? f.level : rule.level;
    const finding = f.finding ?? null;
    const open = this.open.get(dedupKey) ?? this.unflushed(dedupKey) ?? this.loadOpen(dedupKey);
    let supersedes: OpenAlert | null = null;
    if (open && f.timeMs >= open.firstMs && f.timeMs - open.firstMs < rule.dedup_window) {
      const newFinding = finding !== null && !open.findings.includes(finding);
      if (!newFinding && rank(level) <= rank(open.level)) {
        open.count++;
        if (f.timeMs > open.lastMs) open.lastMs = f.timeMs;
        if (open.evidence.records.length < MAX_EVIDENCE) this.addEvidence(open.evidence, f.refs, open);
        // Written once per batch by flush(): a burst of repeats costs one UPDATE, not one each.
        this.repeated.add(open);
        return null;
      }
      supersedes = open;
    }
    const evidence: Alert['evidence'] = { records: [], trace_ids: [] };
    this.addEvidence(evidence, f.refs, null);
    const first = f.refs[0];
    const id = createHash('sha256')
      .update(`${dedupKey}|${f.timeMs}|${first ? `${first.chain_id}:${first.seq}` : ''}${finding !== null ? `|${finding}` : ''}`)
      .digest('hex')
      .slice(0, 32);
    const time = new Date(f.timeMs).toISOString();
    const findings = supersedes ? [...supersedes.findings] : [];
    if (finding !== null && !findings.includes(finding) && findings.length < MAX_FINDINGS) findings.push(finding);
    const alert: Alert = {
      id,
      rule_id: rule.id,
      title: rule.title,
      level,
      tags: rule.tags,
      time,
      group: f.group,
      summary: f.summary,
      finding,
      findings,
      supersedes: supersedes?.id ?? null,
      evidence,
      dedup_key: dedupKey,
      count: 1,
      last_time: time,
    };
    // Its row is stored at flush (after the inserts before it, so an update finds its row).
    if (supersedes && this.repeated.delete(supersedes)) this.repeated.add(supersedes);
    const { evidence: _e, count: _c, last_time: _l, ...body } = alert;
    this.inserts.push({
      id,
      dedup_key: dedupKey,
      rule_id: rule.id,
      level,
      time_ms: f.timeMs,
      last_ms: f.timeMs,
      count: 1,
      body: JSON.stringify(body),
      evidence: JSON.stringify(evidence),
    });
    // The open copy grows with repeats; the returned alert stays as raised.
    const openEvidence = { records: [...evidence.records], trace_ids: [...evidence.trace_ids] };
    // A superseding alert keeps the group's window: repeats of any finding seen so far stay quiet.
    const firstMs = supersedes ? supersedes.firstMs : f.timeMs;
    const opened: OpenAlert = { id, firstMs, lastMs: f.timeMs, count: 1, level, findings, evidence: openEvidence };
    this.open.set(dedupKey, opened);
    for (const ref of f.refs) if (ref.seq < 0 && !this.resolved.has(ref.seq)) this.await(ref.seq, opened);
    return alert;
  }

  /**
   * The call that stood as `placeholder` in evidence is sealed at `ref.seq`: every open alert
   * that cited it gets the record in its evidence (written by the next flush, as a repeat is).
   */
  resolve(placeholder: number, ref: RefWithTrace): void {
    this.resolved.set(placeholder, ref.seq);
    const owners = this.awaiting.get(placeholder) ?? [];
    this.awaiting.delete(placeholder);
    // Citations stored before a restart (or evicted from memory).
    for (const id of this.awaitingIds.all(placeholder) as string[]) {
      if (!owners.some((o) => o.id === id)) {
        const owner = this.storedAlert(id);
        if (owner) owners.push(owner);
      }
    }
    this.resolveWrites.push(placeholder);
    for (const owner of owners) {
      if (owner.evidence.records.length >= MAX_EVIDENCE) continue;
      this.addEvidence(owner.evidence, [ref], owner);
      this.repeated.add(owner);
    }
  }

  private await(placeholder: number, owner: OpenAlert): void {
    const owners = this.awaiting.get(placeholder);
    if (owners?.includes(owner)) return;
    if (!owners) this.awaiting.set(placeholder, [owner]);
    else owners.push(owner);
    this.awaitWrites.push([placeholder, owner.id]);
  }

  /** The alert `id` as an open alert: the one in memory when its group's latest is it, else its row. */
  private storedAlert(id: string): OpenAlert | undefined {
    const row = this.byId.get(id) as (AlertRow & { dedup_key: string }) | undefined;
    if (!row) return undefined;
    const open = this.open.peek(row.dedup_key) ?? this.evicted.get(row.dedup_key);
    if (open?.id === id) return open;
    return this.openOf(row);
  }

  /** Adds refs (records, their traces); a call not sealed yet adds its trace now and its record once `resolve` names it. */
  private addEvidence(evidence: Alert['evidence'], refs: RefWithTrace[], owner: OpenAlert | null): void {
    for (const ref of refs) {
      if (evidence.records.length >= MAX_EVIDENCE) break;
      const seq = ref.seq < 0 ? this.resolved.get(ref.seq) : ref.seq;
      if (ref.trace_id && evidence.trace_ids.length < MAX_EVIDENCE && !evidence.trace_ids.includes(ref.trace_id)) {
        evidence.trace_ids.push(ref.trace_id);
      }
      if (seq === undefined) {
        if (owner) this.await(ref.seq, owner);
        continue;
      }
      if (evidence.records.some((r) => r.chain_id === ref.chain_id && r.seq === seq)) continue;
      evidence.records.push({ chain_id: ref.chain_id, seq });
    }
  }

  /** New alerts and repeats not stored yet. */
  get pending(): number {
    return this.inserts.length + this.repeated.size + this.awaitWrites.length + this.resolveWrites.length;
  }

  /** Stores new alerts, then the counts and evidence of repeats; the caller wraps it in its transaction and calls flushed(). */
  flush(): void {
    for (const row of this.inserts) this.insert.run(row);
    for (const alert of this.repeated) this.write(alert);
    for (const [placeholder, id] of this.awaitWrites) this.insertAwait.run(placeholder, id);
    for (const placeholder of this.resolveWrites) this.deleteAwait.run(placeholder);
  }

  /** After the COMMIT that stored flush()'s writes (a rolled-back flush keeps them pending). */
  flushed(): void {
    this.inserts = [];
    this.awaitWrites = [];
    this.resolveWrites = [];
    this.repeated.clear();
    this.evicted.clear();
  }

  private unflushed(dedupKey: string): OpenAlert | undefined {
    const alert = this.evicted.get(dedupKey);
    if (!alert) return undefined;
    this.evicted.delete(dedupKey);
    this.open.set(dedupKey, alert);
    return alert;
  }

  private assertFlushed(what: string): void {
    if (this.pending > 0) throw new Error(`alert book: ${what} with unwritten changes (commit first)`);
  }

  private write(alert: OpenAlert): void {
    this.update.run(alert.count, alert.lastMs, JSON.stringify(alert.evidence), alert.id);
  }

  private loadOpen(dedupKey: string): OpenAlert | undefined {
    const row = this.latestByKey.get(dedupKey) as AlertRow | undefined;
    if (!row) return undefined;
    const open = this.openOf(row);
    this.open.set(dedupKey, open);
    return open;
  }

  private openOf(row: AlertRow): OpenAlert {
    const body = JSON.parse(row.body) as Partial<Alert>;
    return {
      id: row.id,
      firstMs: row.time_ms,
      lastMs: row.last_ms,
      count: row.count,
      level: body.level ?? 'informational',
      findings: Array.isArray(body.findings) ? body.findings : [],
      evidence: JSON.parse(row.evidence) as Alert['evidence'],
    };
  }

  /** The detector commits first: every write goes with its cursor. */
  list(q: AlertQuery): Alert[] {
    this.assertFlushed('list');
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.rule_id) {
      where.push('rule_id = ?');
      args.push(q.rule_id);
    }
    if (q.level) {
      where.push('level = ?');
      args.push(q.level satisfies AlertLevel);
    }
    if (q.since) {
      const since = Date.parse(q.since);
      if (!Number.isNaN(since)) {
        where.push('last_ms >= ?');
        args.push(since);
      }
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1_000));
    const rows = this.db
      .prepare(
        `SELECT id, time_ms, last_ms, count, body, evidence FROM detect_alerts
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, id LIMIT ${limit}`,
      )
      .all(...args) as AlertRow[];
    return rows.map((r) => ({
      // Alerts stored before findings existed read as having none.
      ...({ finding: null, findings: [], supersedes: null } as Pick<Alert, 'finding' | 'findings' | 'supersedes'>),
      ...(JSON.parse(r.body) as Omit<Alert, 'evidence' | 'count' | 'last_time'>),
      evidence: JSON.parse(r.evidence) as Alert['evidence'],
      count: r.count,
      last_time: new Date(r.last_ms).toISOString(),
    }));
  }

  /** Deletes alerts last seen before `ms`; returns how many. */
  purgeBefore(ms: number): number {
    this.assertFlushed('purgeBefore');
    const { changes } = this.db.prepare('DELETE FROM detect_alerts WHERE last_ms < ?').run(ms);
    this.db.exec('DELETE FROM detect_alert_awaiting WHERE alert_id NOT IN (SELECT id FROM detect_alerts)');
    // Open alerts reload from the table on their next repeat.
    this.open.clear();
    return changes;
  }

  /** After a rolled-back transaction: forget open alerts so repeats reload them from the table. */
  dropCache(): void {
    this.open.clear();
    this.awaitWrites = [];
    this.resolveWrites = [];
    this.awaiting.clear();
    this.repeated.clear();
    this.evicted.clear();
    this.inserts = [];
  }

  reset(): void {
    this.open.clear();
    this.awaitWrites = [];
    this.resolveWrites = [];
    this.awaiting.clear();
    this.resolved.clear();
    this.repeated.clear();
    this.evicted.clear();
    this.inserts = [];
    this.db.exec('DELETE FROM detect_alerts');
    this.db.exec('DELETE FROM detect_alert_awaiting');
  }
}
