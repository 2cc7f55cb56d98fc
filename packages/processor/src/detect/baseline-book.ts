/**
 * Where baselines live: an LRU of entries in memory over the `detect_baselines` table
 * of the trail's SQLite file. A cold entry is written back when evicted and read again
 * on its next use, so memory stays bounded while first-seen facts stay exact.
 */
import type { Database, Statement } from 'better-sqlite3';
import { BaselineEntry, type SerializedEntry } from './baseline-entry';
import { LruMap } from './lru';
import type { BaselineKind, BaselineQuery, BaselineView } from './types';

const SEP = '\u001f';
/** Heap estimate of an entry without its strings (typed-array profiles, counters, object headers). */
export const BASELINE_ENTRY_BYTES = 1_600;
const entryBytes = (key: string, e: BaselineEntry) => BASELINE_ENTRY_BYTES + 2 * (key.length + (e.service?.length ?? 0) + (e.tool?.length ?? 0) + (e.actor?.length ?? 0));

export interface BaselineIds {
  service: string | null;
  tool: string | null;
  actor: string | null;
}

export function baselineKey(kind: BaselineKind, ids: BaselineIds): string {
  return `${kind}${SEP}${ids.service ?? ''}${SEP}${ids.actor ?? ''}${SEP}${ids.tool ?? ''}`;
}

interface Row {
  kind: BaselineKind;
  key: string;
  service: string | null;
  tool: string | null;
  actor: string | null;
  data: string;
}

export class BaselineBook {
  private readonly mem: LruMap<string, BaselineEntry>;
  private readonly dirty = new Set<BaselineEntry>();
  /**
   * Changed entries evicted since the last flush: written by it, not at eviction (every write
   * belongs to the detector's commit, beside its cursor), and found here until then.
   */
  private readonly evicted = new Map<string, BaselineEntry>();
  private readonly selectOne: Statement;
  private readonly upsert: Statement;

  constructor(
    private readonly db: Database,
    maxKeys: number,
    maxBytes = Infinity,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS detect_baselines (
      kind TEXT NOT NULL, key TEXT NOT NULL PRIMARY KEY,
      service TEXT, tool TEXT, actor TEXT, last_ms INTEGER NOT NULL, data TEXT NOT NULL)`);
    db.exec('CREATE INDEX IF NOT EXISTS detect_baselines_service ON detect_baselines (service, kind)');
    this.selectOne = db.prepare('SELECT kind, key, service, tool, actor, data FROM detect_baselines WHERE key = ?');
    this.upsert = db.prepare(`INSERT INTO detect_baselines (kind, key, service, tool, actor, last_ms, data)
      VALUES (@kind, @key, @service, @tool, @actor, @last_ms, @data)
      ON CONFLICT (key) DO UPDATE SET last_ms = excluded.last_ms, data = excluded.data`);
    this.mem = new LruMap(
      maxKeys,
      (key, entry) => {
        if (entry.dirty) this.evicted.set(key, entry);
        this.dirty.delete(entry);
      },
      { max: maxBytes, of: entryBytes },
    );
  }

  /** Estimated bytes of the entries in memory. */
  get bytes(): number {
    return this.mem.bytes;
  }

  get size(): number {
    return this.mem.size;
  }

  get evictions(): number {
    return this.mem.evictions;
  }

  /** The entry, from memory or the database, or null when never seen. */
  find(kind: BaselineKind, ids: BaselineIds): BaselineEntry | null {
    const key = baselineKey(kind, ids);
    const hit = this.mem.get(key);
    if (hit) return hit;
    const unwritten = this.evicted.get(key);
    if (unwritten) {
      this.evicted.delete(key);
      this.dirty.add(unwritten);
      this.mem.set(key, unwritten);
      return unwritten;
    }
    const row = this.selectOne.get(key) as Row | undefined;
    if (!row) return null;
    const entry = BaselineEntry.fromJSON(kind, key, ids, JSON.parse(row.data) as SerializedEntry);
    this.mem.set(key, entry);
    return entry;
  }

  /** The entry, created empty (observations 0) when never seen. */
  obtain(kind: BaselineKind, ids: BaselineIds): BaselineEntry {
    const found = this.find(kind, ids);
    if (found) return found;
    const entry = new BaselineEntry(kind, baselineKey(kind, ids), ids.service, ids.tool, ids.actor);
    this.mem.set(entry.key, entry);
    return entry;
  }

  /** Call after changing an entry, so the next flush writes it. */
  touch(entry: BaselineEntry): void {
    entry.dirty = true;
    this.dirty.add(entry);
    // An entry evicted while a record was using it goes back in, so memory and the table never disagree.
    if (!this.mem.has(entry.key)) this.mem.set(entry.key, entry);
  }

  /** Entries changed since the last flush (in memory or evicted). */
  get pending(): number {
    return this.dirty.size + this.evicted.size;
  }

  /**
   * The rows of the changed entries (their JSON: most of a flush's work), made before the
   * caller takes the write gate so its write transaction only runs the upserts (engine commit).
   */
  rows(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const entry of this.evicted.values()) out.push(rowOf(entry));
    for (const entry of this.dirty) if (!this.evicted.has(entry.key)) out.push(rowOf(entry));
    return out;
  }

  /**
   * Writes changed entries (`rows`: this book's rows() with nothing changed since); the caller
   * wraps it in its transaction (the detector's commit) and calls flushed() after COMMIT. A
   * rolled-back flush leaves everything marked changed.
   */
  flush(rows: ReadonlyArray<Record<string, unknown>> = this.rows()): void {
    for (const row of rows) this.upsert.run(row);
  }

  flushed(): void {
    for (const entry of this.evicted.values()) entry.dirty = false;
    for (const entry of this.dirty) entry.dirty = false;
    this.evicted.clear();
    this.dirty.clear();
  }

  /** Every service with a baseline, for the silence rule after a restart. */
  services(): BaselineEntry[] {
    this.assertFlushed('services');
    const rows = this.db
      .prepare("SELECT kind, key, service, tool, actor, data FROM detect_baselines WHERE kind = 'service'")
      .all() as Row[];
    return rows.map((r) => this.mem.peek(r.key) ?? this.load(r));
  }

  /** The detector commits first: every write goes with its cursor. */
  query(q: BaselineQuery): BaselineView[] {
    this.assertFlushed('query');
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.kind) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.service) {
      where.push('service = ?');
      args.push(q.service);
    }
    if (q.tool) {
      where.push('tool = ?');
      args.push(q.tool);
    }
    if (q.actor) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1_000));
    const sql = `SELECT kind, key, service, tool, actor, data FROM detect_baselines
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY kind, key LIMIT ${limit}`;
    const rows = this.db.prepare(sql).all(...args) as Row[];
    return rows.map((r) => (this.mem.peek(r.key) ?? this.load(r)).view());
  }

  private load(r: Row): BaselineEntry {
    return BaselineEntry.fromJSON(r.kind, r.key, r, JSON.parse(r.data) as SerializedEntry);
  }

  /** Forgets entries not seen since `ms` (their keys become new again); returns how many. */
  purgeBefore(ms: number): number {
    this.assertFlushed('purgeBefore');
    for (const [key, entry] of [...this.mem.entries()]) if (entry.lastMs < ms) this.mem.delete(key);
    return this.db.prepare('DELETE FROM detect_baselines WHERE last_ms < ?').run(ms).changes;
  }

  /** After a rolled-back transaction: forget memory so the next reads come from the table again. */
  dropCache(): void {
    this.mem.clear();
    this.dirty.clear();
    this.evicted.clear();
  }

  private assertFlushed(what: string): void {
    if (this.pending > 0) throw new Error(`baseline book: ${what} with unwritten changes (commit first)`);
  }

  reset(): void {
    this.mem.clear();
    this.dirty.clear();
    this.evicted.clear();
    this.mem.evictions = 0;
    this.db.exec('DELETE FROM detect_baselines');
  }
}

function rowOf(entry: BaselineEntry): Record<string, unknown> {
  return {
    kind: entry.kind,
    key: entry.key,
    service: entry.service,
    tool: entry.tool,
    actor: entry.actor,
    last_ms: entry.lastMs,
    data: JSON.stringify(entry.toJSON()),
  };
}
