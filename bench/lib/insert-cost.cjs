// Records-table INSERT cost (CPU µs per row, 512 rows per transaction, WAL + synchronous=FULL) for one schema variant:
//   generated (the shipped schema: filter columns GENERATED from body), plain (the same columns written from JS),
//   pkonly (no secondary index), no-<index> (the shipped schema without that index).
// node lib/insert-cost.cjs <variant> [rows]
const Database = require('better-sqlite3');
const { SQLITE_SCHEMA_V1 } = require(require.resolve('@mcptrail/processor/package.json').replace(/package\.json$/, 'dist/store/sqlite-schema.js'));
const fs = require('node:fs'); const crypto = require('node:crypto');
const N = Number(process.argv[3] || 20000);
const mode = process.argv[2];
const dir = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'mcptrail-insert-'));
const db = new Database(`${dir}/t.db`);
db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL'); db.pragma('cache_size = -65536');
console.log('sqlite', db.prepare('select sqlite_version() v').get().v);
let stmts = SQLITE_SCHEMA_V1.filter((s) => !s.startsWith('ALTER'));
const plainCols = ['time','service','session_id','method','tool','actor_id','outcome','trace_id','span_id'];
if (mode === 'plain') stmts = stmts.map((s) => s.replace(/(\w+) TEXT GENERATED ALWAYS AS \(json_extract\(body, '\$\.\w+'\)\) VIRTUAL/g, '$1 TEXT'));
if (mode === 'pkonly') stmts = stmts.filter((s) => !s.includes('INDEX'));
if (mode.startsWith('no-')) stmts = stmts.filter((s) => !s.includes(`${mode.slice(3)} `));
if (mode === 'only-pk-time') stmts = stmts.filter((s) => !s.includes('INDEX') || s.includes('audit_by_time '));
for (const s of stmts) db.exec(s);
const ins = mode === 'plain'
  ? db.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body, ${plainCols.join(',')}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
  : db.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES (?,?,?,?)`);
const rec = (i) => ({ actor_id: `actor-${i % 1000}`, args: { q: 'x'.repeat(300), n: i }, args_hash: `hmac:k1:${'a'.repeat(64)}`, chain_id: 'main', client_address: '127.0.0.1', client_name: 'agent', duration_ms: 12.5, method: 'tools/call', outcome: i % 50 ? 'ok' : 'error', prev_hash: 'b'.repeat(64), received_time: new Date(1.7e12 + i * 10).toISOString(), seq: i, service: 'bench-orders', session_id: `sess-${i % 3000}`, side: 'server', span_id: crypto.randomBytes(8).toString('hex'), time: new Date(1.7e12 + i * 10).toISOString(), tool: `tool_${i % 20}`, trace_id: crypto.randomBytes(16).toString('hex'), result: { content_count: 1, content_types: ['text'], size: 300 } });
const rows = Array.from({ length: N }, (_, i) => { const r = rec(i + 1); return [r, JSON.stringify(r)]; });
console.log('body bytes', rows[0][1].length);
const tx = db.transaction((from, to) => { for (let i = from; i < to; i++) { const [r, b] = rows[i]; if (mode === 'plain') ins.run('main', r.seq, 'h', b, ...plainCols.map((c) => r[c] ?? null)); else ins.run('main', r.seq, 'h', b); } });
const c0 = process.cpuUsage();
for (let i = 0; i < N; i += 512) tx(i, Math.min(N, i + 512));
const c = process.cpuUsage(c0);
console.log(mode, 'µs CPU per insert', (((c.user + c.system) / N)).toFixed(1));
fs.rmSync(dir, { recursive: true });
