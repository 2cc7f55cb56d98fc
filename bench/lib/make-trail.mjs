// A large SQLite audit trail for benchmarks that need one (verify, latency), written with the
// processor's own sealing (sealDraft → canonical body + SHA-256 chain, Ed25519 checkpoints every
// 1,000 records) straight into its store, without OTLP: 1M records in seconds, not in the 12
// minutes the ingest benchmark takes to receive them. `dist` is the processor build to use.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const passThrough = { redact: (value) => ({ value }), redactText: (value) => ({ value }) };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const TOOLS = ['lookup_order', 'search_tickets', 'get_customer', 'list_invoices', 'get_weather', 'read_file'];

function draftOf(i, t0) {
  const actor = `agent-${i % 3000}`;
  return {
    schema_version: '1', time: new Date(t0 + i * 1000).toISOString(), service: 'bench-orders', service_instance: 'bench-1', side: 'server',
    session_id: `session-${actor}`, method: 'tools/call', tool: TOOLS[i % TOOLS.length], resource_uri: null, prompt: null, jsonrpc_request_id: String(i),
    actor_id: actor, actor_scope: 'orders:read', client_name: 'bench-client', client_version: '1.0.0', client_address: null, server_name: 'bench-orders',
    server_version: '1.0.0', protocol_version: '2025-06-18', args: { orderId: `A-${i}`, limit: 10 }, args_hash: null, args_size: 32,
    result: { content_count: 1, content_types: ['text'], size: 120, is_error: false }, outcome: 'ok', error_type: null, error_message: null, duration_ms: 2,
    tool_schema_version: 'v1', tool_destructive: null, trace_id: i.toString(16).padStart(32, '0'), span_id: i.toString(16).padStart(16, '0'), parent_span_id: null, source: 'span+log',
  };
}

/**
 * Builds whose checkpoints are signed notes over a Merkle tree (and whose pipeline takes drafts
 * prepared elsewhere): the records go through the pipeline's own inbox, sealing and checkpoints.
 */
async function makeThroughPipeline(require, dist, file, tmp, records, log) {
  const { openSqliteStore } = require(path.join(dist, 'store/sqlite.js'));
  const { loadOrCreateSigningKey } = require(path.join(dist, 'chain/signing.js'));
  const { createAuditPipeline } = require(path.join(dist, 'audit/pipeline.js'));
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const store = openSqliteStore({ path: tmp, chainId: 'main' });
  const signer = loadOrCreateSigningKey(`${file}.ed25519.pem`);
  const pipeline = createAuditPipeline({ store, redactor: passThrough, signer, logger: quiet, pairingWindowMs: 0, maxStaged: 1_000_000 });
  const t0 = Date.now() - records * 1000;
  for (let from = 0; from < records; from += 10_000) {
    const rows = [];
    for (let i = from; i < Math.min(records, from + 10_000); i++) rows.push({ kind: 'log', sealNow: true, draft: draftOf(i, t0) });
    await pipeline.ingestPrepared({ rows, rejected: 0, normalizerRejected: 0, message: null });
    if ((from + 10_000) % 100_000 === 0) {
      await pipeline.flush();
      log(`  trail: ${Math.min(records, from + 10_000).toLocaleString('en-US')} / ${records.toLocaleString('en-US')} records`);
    }
  }
  await pipeline.close();
  await store.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, file);
  return { file, records, reused: false };
}

/** Creates `file` with `records` tool-call records (chain `main`) unless it already holds them. */
export async function makeTrail(dist, file, records, log = () => {}) {
  const require = createRequire(path.join(dist, 'index.js'));
  const { openSqliteStore } = require(path.join(dist, 'store/sqlite.js'));
  const { sealDraft, GENESIS_HASH } = require(path.join(dist, 'chain/hash.js'));
  const { loadOrCreateSigningKey, defaultSigningKeyPath } = require(path.join(dist, 'chain/signing.js'));
  if (existsSync(file)) {
    const store = openSqliteStore({ path: file, chainId: 'main' });
    const n = store.db.prepare('SELECT count(*) AS n FROM audit_records').get().n;
    store.db.close();
    if (n >= records) return { file, records: n, reused: true };
  }
  const tmp = `${file}.partial`;
  // Newer builds sign checkpoints as notes over a Merkle tree: let their own pipeline write the trail.
  const modern = readFileSync(path.join(dist, 'audit/pipeline.js'), 'utf8').includes('ingestPrepared');
  if (modern) return makeThroughPipeline(require, dist, file, tmp, records, log);
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const store = openSqliteStore({ path: tmp, chainId: 'main' });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(file));
  const insert = store.db.prepare('INSERT INTO audit_records (chain_id, seq, hash, body) VALUES (?, ?, ?, ?)');
  const insertCp = store.db.prepare('INSERT INTO checkpoints (chain_id, seq, hash, time, signature, key_id) VALUES (@chain_id, @seq, @hash, @time, @signature, @key_id)');
  const t0 = Date.now() - records * 1000;
  let head = { seq: 0, hash: GENESIS_HASH };
  const write = store.db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const draft = draftOf(i, t0);
      const { record, body } = sealDraft(draft, 'main', head);
      insert.run('main', record.seq, record.hash, body);
      head = { seq: record.seq, hash: record.hash };
      if (record.seq % 1000 === 0) insertCp.run(signer.sign({ chain_id: 'main', seq: head.seq, hash: head.hash, time: new Date().toISOString() }));
    }
  });
  for (let from = 0; from < records; from += 50_000) {
    write(from, Math.min(records, from + 50_000));
    log(`  trail: ${Math.min(records, from + 50_000).toLocaleString('en-US')} / ${records.toLocaleString('en-US')} records`);
  }
  if (head.seq % 1000 !== 0) insertCp.run(signer.sign({ chain_id: 'main', seq: head.seq, hash: head.hash, time: new Date().toISOString() }));
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.close();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, file);
  return { file, records, reused: false };
}
