import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { createEmitter } from './telemetry';

const TOKEN = 'test-token-0123456789';
const READ_TOKEN = 'read-token-9876543210';
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-api-'));
let p: RunningProcessor;
const auth = { authorization: `Bearer ${READ_TOKEN}` };
const writeAuth = { authorization: `Bearer ${TOKEN}` };

async function get(pathAndQuery: string, headers: Record<string, string> = auth) {
  const res = await fetch(`${p.url}${pathAndQuery}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const config = loadConfig({ flags: { db: path.join(dir, 'api.db'), port: '0' }, env: { MCPTRAIL_TOKEN: TOKEN, MCPTRAIL_READ_TOKEN: READ_TOKEN } });
  p = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
  const emitter = createEmitter(p.url, { format: 'proto', gzip: true, headers: writeAuth });
  for (let i = 0; i < 6; i++) emitter.call({ tool: i < 4 ? 'search' : 'delete_file', session: `s-${i % 2}`, actor: i % 2 ? 'alice' : 'bob', outcome: i === 5 ? 'tool_error' : 'ok' });
  await emitter.shutdown();
  await p.pipeline.flush();
});
afterAll(async () => {
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('query API', () => {
  it('needs the bearer token on /api/*', async () => {
    const res = await get('/api/audit', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await get('/api/audit', { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('keeps read and write apart: the emitter token gets 403 on the API, the read token 403 on OTLP', async () => {
    const asEmitter = await fetch(`${p.url}/api/audit`, { headers: writeAuth });
    expect(asEmitter.status).toBe(403);
    expect(asEmitter.headers.get('mcptrail-error-code')).toBe('MCPTRAIL_HTTP_FORBIDDEN');
    expect(await asEmitter.text()).not.toContain('"records"');
    expect((await fetch(`${p.url}/api/verify`, { headers: writeAuth })).status).toBe(403);
    const asReader = await fetch(`${p.url}/v1/traces`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
    expect(asReader.status).toBe(403);
    // Control: the same request with the write token is accepted.
    const asWriter = await fetch(`${p.url}/v1/traces`, { method: 'POST', headers: { ...writeAuth, 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
    expect(asWriter.status).toBe(200);
  });

  it('filters /api/audit by session, actor, tool and outcome', async () => {
    const all = await get('/api/audit');
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(6);
    const recs = all.body.records as AuditRecord[];
    // Newest first by default.
    expect(recs.map((r) => r.seq)).toEqual([...recs.map((r) => r.seq)].sort((a, b) => b - a));
    expect((await get('/api/audit?session=s-1')).body.count).toBe(3);
    expect((await get('/api/audit?actor=alice&tool=delete_file')).body.count).toBe(1);
    const failed = await get('/api/audit?outcome=tool_error');
    expect((failed.body.records as AuditRecord[]).map((r) => r.tool)).toEqual(['delete_file']);
    expect((await get('/api/audit?since=2000-01-01&until=1h')).body.count).toBe(0);
    expect((await get('/api/audit?since=1h')).body.count).toBe(6);
  });

  it('pages in chain order with after_seq and a next cursor', async () => {
    const first = await get('/api/audit?order=asc&limit=4');
    expect((first.body.records as AuditRecord[]).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(first.body.next).toEqual({ chain: 'main', after_seq: 4 });
    const second = await get('/api/audit?after_seq=4&limit=4');
    expect((second.body.records as AuditRecord[]).map((r) => r.seq)).toEqual([5, 6]);
    expect(second.body.next).toBeNull();
  });

  it('answers 400 naming the bad or unknown parameter', async () => {
    for (const [q, param] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['outcome=maybe', 'outcome'],
      ['since=yesterday', 'since'],
      ['trace_id=xyz', 'trace_id'],
      ['after_seq=-1', 'after_seq'],
      ['sesion=s-1', 'sesion'],
      ['tool=a&tool=b', 'tool'],
      ['order=sideways', 'order'],
      ['since=99999999999999d', 'since'],
      ['until=99999999999999w', 'until'],
      ['since=2026-02-31T99:99', 'since'],
      ['limit=1e3', 'limit'],
      ['after_seq=99999999999999999999', 'after_seq'],
    ] as const) {
      const res = await get(`/api/audit?${q}`);
      expect(res.status, q).toBe(400);
      const error = res.body.error as { code: string; message: string; param: string };
      expect(error.code).toBe('MCPTRAIL_ERR_API_BAD_PARAM');
      expect(error.param).toBe(param);
      expect(error.message).toContain(`'${param}'`);
    }
    expect((await get('/api/alerts?level=severe')).status).toBe(400);
    const alertSince = await get('/api/alerts?since=99999999999999d');
    expect(alertSince.status).toBe(400);
    expect((alertSince.body.error as { param: string }).param).toBe('since');
    expect((await get('/api/baselines?kind=planet')).status).toBe(400);
  });

  it('serves alerts, baselines and verify', async () => {
    const alerts = await get('/api/alerts?limit=10');
    expect(alerts.status).toBe(200);
    expect(Array.isArray(alerts.body.alerts)).toBe(true);
    const baselines = await get('/api/baselines?tool=search');
    expect(baselines.status).toBe(200);
    const views = baselines.body.baselines as Array<{ tool: string | null; observations: number }>;
    expect(views.length).toBeGreaterThan(0);
    for (const v of views) expect(v.tool).toBe('search');
    const verify = await get('/api/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true, records: 6 });
    // Rate-limited: a second run right after is refused with Retry-After, not queued.
    const again = await get('/api/verify');
    expect(again.status).toBe(429);
    expect((again.body.error as { code: string }).code).toBe('MCPTRAIL_ERR_API_RATE_LIMITED');
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('/healthz carries no data; unknown routes and methods get JSON errors', async () => {
    const health = await get('/healthz', {}); // liveness probes carry no token
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(JSON.stringify(health.body)).not.toContain(TOKEN);
    const missing = await get('/api/nothing');
    expect(missing.status).toBe(404);
    expect((missing.body.error as { code: string }).code).toBe('MCPTRAIL_ERR_API_NOT_FOUND');
    const post = await fetch(`${p.url}/api/audit`, { method: 'POST', headers: auth, body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
