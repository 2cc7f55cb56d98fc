// Detection CPU per record on one thread, two ways of storing its state, same records, same run:
//   per-batch — the detector's own process(): one transaction (baselines, alerts) per seal batch;
//   deferred  — trackDetection(): folded in memory, committed with the cursor every 500 ms /
//               5,000 records (at once with an alert).
// node lib/detection-commit.mjs [--records 60000] [--batch 100] [--actors 2000] [--rounds 2]
// Prints CPU µs per record and the SQLite statements run, for each mode.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { flags } from './stats.mjs';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const { createDetector, loadRules, silentLogger } = require('@mcptrail/processor');
const dist = require.resolve('@mcptrail/processor/package.json').replace(/package\.json$/, 'dist/');
const { trackDetection } = require(`${dist}replica/detection-state.js`);
const opts = flags({ records: 60_000, batch: 100, actors: 2000, rounds: 2 });
const T0 = Date.parse('2026-11-23T09:00:00Z');
const hex = (n, w) => n.toString(16).padStart(w, '0');
const records = Array.from({ length: opts.records }, (_, i) => {
  const time = new Date(T0 + i * 5).toISOString();
  return {
    chain_id: 'main', seq: i + 1, time, received_time: time, service: `svc-${i % 4}`, side: 'server', method: 'tools/call',
    tool: `tool_${(i * 7) % 25}`, actor_id: `actor-${(i * 13) % opts.actors}`, session_id: `sess-${Math.floor(i / 12) % 5000}`,
    trace_id: hex(i, 32), span_id: hex(i, 16), outcome: i % 97 === 0 ? 'error' : 'ok', args: { q: `query ${i % 300}` }, args_size: 40 + (i % 30),
    duration_ms: 12, source: 'span+log', prev_hash: '0'.repeat(64), hash: '1'.repeat(64),
  };
});
const store = { iterate: async function* () {}, query: async () => [] };

function run(mode) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-detcommit-'));
  const db = new Database(path.join(dir, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const detector = createDetector({ rules: loadRules(null), db, logger: silentLogger, clock: () => T0 });
  const tracked = mode === 'deferred' ? trackDetection({ detector, db, store, chainId: 'main', stateIsCurrentWithoutCursor: false }) : null;
  let alerts = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < records.length; i += opts.batch) {
    const batch = records.slice(i, i + opts.batch);
    alerts += (tracked ? tracked.process(batch) : detector.process(batch)).length;
  }
  if (tracked) alerts += tracked.flush().length;
  const c = process.cpuUsage(c0);
  tracked?.close();
  const baselines = db.prepare('SELECT count(*) FROM detect_baselines').pluck().get();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { mode, usPerRecord: (c.user + c.system) / records.length, alerts, baselines };
}

const out = [];
for (let r = 0; r < opts.rounds; r++) for (const mode of ['per-batch', 'deferred']) out.push(run(mode));
for (const o of out) console.log(`${o.mode.padEnd(9)} ${o.usPerRecord.toFixed(1).padStart(6)} µs CPU per record (${o.alerts} alerts, ${o.baselines} baseline keys)`);
