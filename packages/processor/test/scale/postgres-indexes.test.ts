/**
 * The query API's filters use indexes on a large table: 100,000 synthetic rows over three
 * chains, ANALYZEd, then EXPLAIN of the exact SQL the store runs for each filter. A plan
 * that reads the whole table (Seq Scan) would not hold at tens of millions of rows.
 */
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditQuerySql, openPostgresStore } from '../../src/store/postgres';
import type { AuditQuery } from '../../src/store/types';
import { type PgCluster, pgAvailability, startPgCluster } from './pg-cluster';

const { bin, skip } = pgAvailability();
const ROWS = 100_000;

describe.skipIf(skip)('PostgreSQL indexes for the query API', () => {
  let cluster: PgCluster;
  let pg: Client;

  beforeAll(async () => {
    cluster = await startPgCluster(bin!);
    const store = await openPostgresStore({ url: cluster.url, chainId: 'c0' });
    await store.close();
    pg = new Client({ connectionString: cluster.url });
    await pg.connect();
    await pg.query(
      `INSERT INTO audit_records (chain_id, seq, hash, body, time, service, session_id, method, tool, actor_id, outcome, trace_id, span_id)
       SELECT 'c' || (i % 3), i / 3 + 1, md5(i::text) || md5(i::text), '{}',
              to_char(timestamp '2026-01-01' + i * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"'),
              'svc-' || (i % 12), 'sess-' || (i / 20), 'tools/call', 'tool-' || (i % 30), 'actor-' || (i % 2000),
              CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END, md5('t' || i), substr(md5('s' || i), 1, 16)
       FROM generate_series(0, $1 - 1) AS i`,
      [ROWS],
    );
    await pg.query('ANALYZE audit_records');
  }, 180_000);

  afterAll(async () => {
    await pg?.end();
    cluster?.destroy();
  });

  /** Each filter and the index(es) that must drive it: a primary-key scan with a filter would read every row for a rare value. */
  const cases: Array<[string, AuditQuery, RegExp]> = [
    ['session', { session_id: 'sess-777' }, /audit_by_session/],
    ['actor', { actor_id: 'actor-42' }, /audit_by_actor/],
    ['trace', { trace_id: '0123456789abcdef0123456789abcdef' }, /audit_by_trace/],
    ['actor + time range', { actor_id: 'actor-42', since: '2026-01-02T00:00:00Z', until: '2026-01-02T06:00:00Z' }, /audit_by_(actor|time)/],
    ['time range', { since: '2026-01-03T00:00:00Z', until: '2026-01-03T00:10:00Z' }, /audit_by_time/],
    ['tool + outcome', { tool: 'tool-7', outcome: 'error' }, /audit_by_(tool|outcome)/],
    ['service + time range', { service: 'svc-3', since: '2026-01-02T00:00:00Z', until: '2026-01-02T00:30:00Z' }, /audit_by_(service|time)/],
    ['no filter (newest first)', {}, /audit_records_pkey/],
    ['chain paging', { chain_id: 'c1', after_seq: 30_000 }, /audit_records_pkey/],
  ];

  it.each(cases)('%s uses its index', async (_name, q, index) => {
    for (const order of ['asc', 'desc'] as const) {
      const { sql, params } = auditQuerySql(q, order);
      const plan = (await pg.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan, plan).not.toMatch(/Seq Scan on audit_records/);
      expect(plan, plan).toMatch(index);
    }
  });
});
