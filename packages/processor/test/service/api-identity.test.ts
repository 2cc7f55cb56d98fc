/**
 * Bound identity, tried as an attacker holding one emitter's token: forge another service
 * (`payments-mcp`), another actor (`cfo`) and another address (`10.0.0.5`, in the payload and
 * in X-Forwarded-For). Real OTel exporters, a real processor, the query API to look.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AuditRecord } from '@mcptrail/conventions';
import { ATTR_CLIENT_ADDRESS } from '@mcptrail/conventions';
import { afterAll, describe, expect, it } from 'vitest';
import { processorConfigSchema, type ProcessorConfigInput } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { createEmitter } from './telemetry';

const WEATHER = 'weather-token-3c9f';
const PAYMENTS = 'payments-token-81aa';
const READ = 'reader-token-44e0';
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-identity-'));
const running: RunningProcessor[] = [];
afterAll(async () => {
  for (const p of running) await p.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(name: string, extra: { identity_mismatch: 'reject' | 'flag'; trusted_proxies?: string[] }): Promise<RunningProcessor> {
  const input: ProcessorConfigInput = {
    log_level: 'silent',
    store: { path: path.join(dir, `${name}.db`) },
    receiver: { port: 0, read_token: READ, trusted_proxies: extra.trusted_proxies ?? [] },
    auth: {
      identity_mismatch: extra.identity_mismatch,
      credentials: [
        { id: 'weather', token: WEATHER, services: ['weather-mcp'], actors: ['agent-*'] },
        { id: 'payments', token: PAYMENTS, services: ['payments-*'] },
      ],
    },
    detection: { enabled: false },
    trail: { pairing_window_ms: 50 },
  };
  const p = await startProcessor(processorConfigSchema.parse(input), { logger: createLogger({ level: 'silent', redactor: null }) });
  running.push(p);
  return p;
}

async function send(p: RunningProcessor, token: string, service: string, calls: Array<{ tool: string; actor: string }>, headers: Record<string, string> = {}) {
  const emitter = createEmitter(p.url, { format: 'proto', gzip: false, service, headers: { authorization: `Bearer ${token}`, ...headers } });
  for (const c of calls) emitter.call({ tool: c.tool, session: 's', actor: c.actor, extra: { [ATTR_CLIENT_ADDRESS]: '10.0.0.5' } });
  await emitter.shutdown();
  await p.pipeline.flush();
}

async function records(p: RunningProcessor): Promise<AuditRecord[]> {
  const res = await fetch(`${p.url}/api/audit?order=asc&limit=1000`, { headers: { authorization: `Bearer ${READ}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: AuditRecord[] }).records;
}

async function verified(p: RunningProcessor): Promise<boolean> {
  const res = await fetch(`${p.url}/api/verify`, { headers: { authorization: `Bearer ${READ}` } });
  return ((await res.json()) as { ok: boolean }).ok;
}

describe('identity_mismatch: reject', () => {
  it('a forged service or actor never enters the trail; the credential and the socket address are recorded', async () => {
    const p = await start('reject', { identity_mismatch: 'reject' });
    // Control: the weather credential asserting its own service and an allowed actor.
    await send(p, WEATHER, 'weather-mcp', [{ tool: 'get_weather', actor: 'agent-1' }]);
    // Attacks with the weather token: another service; its own service but another actor.
    await send(p, WEATHER, 'payments-mcp', [{ tool: 'transfer', actor: 'agent-1' }], { 'x-forwarded-for': '10.0.0.5' });
    await send(p, WEATHER, 'weather-mcp', [{ tool: 'transfer', actor: 'cfo' }]);
    // Control: the payments credential may assert payments-mcp and any actor.
    await send(p, PAYMENTS, 'payments-mcp', [{ tool: 'transfer', actor: 'cfo' }]);

    const trail = await records(p);
    expect(trail.map((r) => [r.service, r.actor_id, r.credential_id])).toEqual([
      ['weather-mcp', 'agent-1', 'weather'],
      ['payments-mcp', 'cfo', 'payments'],
    ]);
    for (const r of trail) {
      // The payload's client.address stays a claim; the emitter address is the connection's.
      expect(r.client_address).toBe('10.0.0.5');
      expect(r.emitter_address).toBe('127.0.0.1');
      expect(r.identity_flags).toBeNull();
    }
    expect(p.pipeline.stats().rejected).toBeGreaterThanOrEqual(4); // span + log of each forged call
    expect(await verified(p)).toBe(true);
  });
});

describe('identity_mismatch: flag', () => {
  it('forged claims are stored, flagged, sealed with the credential that made them; X-Forwarded-For only from a trusted proxy', async () => {
    const p = await start('flag', { identity_mismatch: 'flag', trusted_proxies: ['127.0.0.1'] });
    await send(p, WEATHER, 'payments-mcp', [{ tool: 'transfer', actor: 'cfo' }], { 'x-forwarded-for': '203.0.113.7, 10.0.0.5' });
    await send(p, WEATHER, 'weather-mcp', [{ tool: 'get_weather', actor: 'agent-2' }]);
    const trail = await records(p);
    expect(trail).toHaveLength(2);
    const [forged, honest] = trail as [AuditRecord, AuditRecord];
    expect(forged).toMatchObject({ service: 'payments-mcp', actor_id: 'cfo', credential_id: 'weather', identity_flags: ['actor', 'service'] });
    // 127.0.0.1 is a trusted proxy here: the right-most forwarded hop is the emitter.
    expect(forged.emitter_address).toBe('10.0.0.5');
    expect(honest).toMatchObject({ service: 'weather-mcp', credential_id: 'weather', identity_flags: null, emitter_address: '127.0.0.1' });
    expect(await verified(p)).toBe(true);
    // The flags are in the hashed body: filtering them away breaks the chain, not the evidence.
    expect(trail.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  });
});
