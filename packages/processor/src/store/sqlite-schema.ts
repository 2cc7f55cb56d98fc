/**
 * SQLite schema of the trail. Records are stored as the canonical JSON their hash
 * covers (`body`); the filter columns are GENERATED from it, so a filter column can
 * never disagree with what was hashed, and verification reads only (seq, hash, body).
 */
export const SQLITE_SCHEMA_VERSION = 5;

const generated = (name: string, path = name) =>
  `${name} TEXT GENERATED ALWAYS AS (json_extract(body, '$.${path}')) VIRTUAL`;

/**
 * Schema 3: checkpoints became C2SP signed notes over a Merkle tree, chained to each other
 * and to the alert history. Checkpoints of older schemas keep null here and fail `verify`
 * as unchained (they signed a different payload).
 */
const CHECKPOINT_V3_COLUMNS = ['origin TEXT', 'root TEXT', 'prev TEXT', 'alerts_seq INTEGER', 'alerts_hash TEXT', 'frontier TEXT'];

/** Statements only a file older than schema 3 needs (ALTER TABLE has no IF NOT EXISTS). */
export const isUpgradeOnly = (stmt: string): boolean => stmt.startsWith('ALTER TABLE');

export const SQLITE_SCHEMA_V1 = [
  `CREATE TABLE IF NOT EXISTS mcptrail_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS audit_records (
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    ${generated('time')},
    ${generated('service')},
    ${generated('session_id')},
    ${generated('method')},
    ${generated('tool')},
    ${generated('actor_id')},
    ${generated('outcome')},
    ${generated('trace_id')},
    ${generated('span_id')},
    PRIMARY KEY (chain_id, seq)
  )`,
  `CREATE INDEX IF NOT EXISTS audit_by_time ON audit_records (time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_session ON audit_records (session_id, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_records (actor_id, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_tool ON audit_records (tool, time)`,
  // v4: only the outcomes worth looking for (not 'ok', which is nearly every row) are indexed:
  // one B-tree insert less per record; an 'ok' filter walks the primary key, which is faster
  // for a value that common than sorting its index range (the query filter repeats the
  // index's condition so the planner can use it).
  `DROP INDEX IF EXISTS audit_by_outcome`,
  `CREATE INDEX IF NOT EXISTS audit_by_outcome_not_ok ON audit_records (outcome, time) WHERE outcome <> 'ok'`,
  `CREATE INDEX IF NOT EXISTS audit_by_service ON audit_records (service, time)`,
  // Exporter retries and the span/log pair of one call must seal once.
  `CREATE UNIQUE INDEX IF NOT EXISTS audit_call_once ON audit_records (trace_id, span_id)
     WHERE trace_id IS NOT NULL AND span_id IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS checkpoints (
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
  )`,
  ...CHECKPOINT_V3_COLUMNS.map((c) => `ALTER TABLE checkpoints ADD COLUMN ${c}`),
  `CREATE TABLE IF NOT EXISTS alert_events (
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
  )`,
  // Acknowledged but not yet sealed: one row per group commit (v2; v1 staged one row per draft).
  `CREATE TABLE IF NOT EXISTS audit_inbox (
    id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    done TEXT
  )`,
  // v5: the inbox entries that are slices of a group commit not complete yet (none of its
  // requests acknowledged). A mark of its own, so the slice that completes the group deletes a
  // few small rows instead of rewriting every open entry with its payload (v2-v4 marked them
  // with done = INBOX_OPEN; readInbox still drops such entries).
  `CREATE TABLE IF NOT EXISTS audit_inbox_open (id INTEGER PRIMARY KEY)`,
];
