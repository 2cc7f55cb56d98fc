/**
 * PostgreSQL schema of the trail, the twin of sqlite-schema.ts. `body` is the canonical
 * JSON the hash covers; the filter columns are copies of its fields, written by the same
 * INSERT from the same sealed record (FILTER_COLUMNS). They are not GENERATED columns:
 * nine jsonb parses per row made PostgreSQL the ingest bottleneck. Verification reads
 * only (seq, hash, body). Every replica writes its own chain (chain_id = replica id); the
 * only cross-chain constraint is the call-once index.
 */
export const POSTGRES_SCHEMA_VERSION = 4;

/** Record fields copied into indexed columns for the query API's filters. */
export const FILTER_COLUMNS = ['time', 'service', 'session_id', 'method', 'tool', 'actor_id', 'outcome', 'trace_id', 'span_id'] as const;

export const POSTGRES_SCHEMA_V1 = [
  `CREATE TABLE IF NOT EXISTS mcptrail_schema (component text PRIMARY KEY, version integer NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS audit_records (
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    body text NOT NULL,
    ${FILTER_COLUMNS.map((c) => `${c} text`).join(',\n    ')},
    PRIMARY KEY (chain_id, seq)
  )`,
  // The API's filters, each with time for range scans (tens of millions of rows).
  `CREATE INDEX IF NOT EXISTS audit_by_time ON audit_records (time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_session ON audit_records (session_id, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_records (actor_id, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_tool ON audit_records (tool, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_outcome ON audit_records (outcome, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_service ON audit_records (service, time)`,
  `CREATE INDEX IF NOT EXISTS audit_by_trace ON audit_records (trace_id)`,
  // Exporter retries, the span/log pair of one call, and a call retried to another replica seal once.
  `CREATE UNIQUE INDEX IF NOT EXISTS audit_call_once ON audit_records (trace_id, span_id)
     WHERE trace_id IS NOT NULL AND span_id IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS checkpoints (
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    time text NOT NULL,
    signature text NOT NULL,
    key_id text NOT NULL,
    PRIMARY KEY (chain_id, seq)
  )`,
  // Schema 3 (see sqlite-schema.ts): signed-note checkpoints over a Merkle tree, and the alert history.
  `ALTER TABLE checkpoints ADD COLUMN IF NOT EXISTS origin text, ADD COLUMN IF NOT EXISTS root text, ADD COLUMN IF NOT EXISTS prev text,
     ADD COLUMN IF NOT EXISTS alerts_seq bigint, ADD COLUMN IF NOT EXISTS alerts_hash text, ADD COLUMN IF NOT EXISTS frontier text`,
  `CREATE TABLE IF NOT EXISTS alert_events (
    chain_id text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (chain_id, seq)
  )`,
  // Acknowledged but not yet sealed, per replica (a restarted replica seals its own): one
  // row per group commit (v2; v1 staged one row per draft in audit_staging).
  `CREATE TABLE IF NOT EXISTS audit_inbox (
    id bigserial PRIMARY KEY,
    chain_id text NOT NULL,
    payload text NOT NULL,
    done text
  )`,
  `CREATE INDEX IF NOT EXISTS inbox_by_chain ON audit_inbox (chain_id, id)`,
  // v4 (see sqlite-schema.ts): slices of a group commit not complete yet, marked apart from
  // their payload (v2-v3 marked them with done = INBOX_OPEN; readInbox still drops those).
  `CREATE TABLE IF NOT EXISTS audit_inbox_open (id bigint PRIMARY KEY, chain_id text NOT NULL)`,
];
