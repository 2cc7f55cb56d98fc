/**
 * Credential output from any emitter (issue 13 item 6, issue 11 item 4): a tool result sent as
 * text in `gen_ai.tool.call.result` by an emitter that is not ours (no `mcptrail.redaction.types`)
 * still raises credential-output; only rule types reach the trail and the alert, never the value.
 * Email-address actors stay distinct (keyed pseudonyms), with no address in clear.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ATTR_ENDUSER_ID, ATTR_GEN_AI_TOOL_CALL_RESULT, type AuditRecord } from '@mcptrail/conventions';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditPipeline, createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { createDetector } from '../../src/detect/engine';
import { loadRules } from '../../src/detect/load-rules';
import type { Alert } from '../../src/detect/types';
import { silentLogger } from '../../src/logger';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { START_NS, hex, toolSpan, traces } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

let dir: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;

afterEach(async () => {
  await pipeline?.close();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function setUp() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-cred-result-'));
  const dbPath = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
  let now = Number(START_NS / 1_000_000n);
  pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: silentLogger, clock: () => now, pairingWindowMs: 1000 });
  const detector = createDetector({ rules: loadRules(null), db: store.db, logger: silentLogger, clock: () => now });
  const alerts: Alert[] = [];
  const sealed: AuditRecord[] = [];
  pipeline.onSealed((records) => {
    sealed.push(...records);
    alerts.push(...detector.process(records));
  });
  return { alerts, sealed, dbPath, advance: (ms: number) => (now += ms) };
}

/** A span only, as a third-party MCP instrumentation would send it (no mcptrail attributes). */
async function foreignCall(tool: string, extra: Record<string, unknown>) {
  await pipeline.traces(traces(toolSpan({ tool, traceId: hex(16), spanId: hex(8), extra })));
}

const TOKEN = `glpat-${'aB3dE5gH7jK9mN1pQ3sT'}`;

describe('credential output in result text from any emitter', () => {
  it('alerts on a credential in gen_ai.tool.call.result and stores its type only', async () => {
    const { alerts, sealed, dbPath, advance } = setUp();
    await foreignCall('read_env', { [ATTR_GEN_AI_TOOL_CALL_RESULT]: JSON.stringify([{ type: 'text', text: `GITLAB_TOKEN=${TOKEN}` }]) });
    advance(5_000);
    await pipeline.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(sealed).toHaveLength(1);
    expect((sealed[0] as { redaction_types?: string[] }).redaction_types).toContain('gitlab_pat');
    expect(alerts.map((a) => a.rule_id)).toEqual(['credential-output']);
    expect(alerts[0]?.summary).toContain('gitlab_pat');
    await pipeline.close();
    await store.close();
    for (const f of [dbPath, `${dbPath}-wal`]) if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(TOKEN)).toBe(false);
    expect(JSON.stringify(alerts)).not.toContain(TOKEN);
  });

  it('control: the same call with a clean result raises nothing', async () => {
    const { alerts, advance } = setUp();
    await foreignCall('read_env', { [ATTR_GEN_AI_TOOL_CALL_RESULT]: JSON.stringify([{ type: 'text', text: 'NODE_ENV=production' }]) });
    advance(5_000);
    await pipeline.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(alerts).toEqual([]);
  });

  it('email-address actors stay distinct, as keyed pseudonyms, with no address in clear', async () => {
    const { sealed, dbPath, advance } = setUp();
    await foreignCall('search', { [ATTR_ENDUSER_ID]: 'jane.doe@example.com' });
    await foreignCall('search', { [ATTR_ENDUSER_ID]: 'john.roe@example.com' });
    await foreignCall('search', { [ATTR_ENDUSER_ID]: 'jane.doe@example.com' });
    advance(5_000);
    await pipeline.flush();
    const actors = sealed.map((r) => r.actor_id);
    expect(actors[0]).toMatch(/^hmac:t1:[0-9a-f]{16}$/);
    expect(actors[0]).toBe(actors[2]);
    expect(actors[1]).not.toBe(actors[0]);
    await pipeline.close();
    await store.close();
    for (const f of [dbPath, `${dbPath}-wal`]) if (fs.existsSync(f)) expect(fs.readFileSync(f).includes('example.com')).toBe(false);
  });
});
