/** The read-side commands: query, alerts, replay, export. `serve` lives in ./serve.ts, `verify` and `prove` in ./verify.ts. */
import { AUDIT_RECORD_JSON_SCHEMA, type AuditRecord } from '@mcptrail/conventions';
import { parseAlertQuery, parseAuditQuery, parseTimeBound } from '../api/filters';
import { createDetector } from '../detect/engine';
import { loadRules } from '../detect/load-rules';
import { silentLogger } from '../logger';
import { detectionCursor } from '../replica/detection-state';
import { type CliIo, type FlagValues, openExistingStore, resolveConfig, table, writeLine } from './context';

const flagReader = (values: FlagValues) => (name: string) => {
  const v = values[name.replace(/_/g, '-')];
  return typeof v === 'string' ? v : undefined;
};

function recordRow(r: AuditRecord): Record<string, string> {
  return {
    chain: r.chain_id,
    seq: String(r.seq),
    time: r.time,
    service: r.service,
    method: r.method,
    target: r.tool ?? r.resource_uri ?? r.prompt ?? '',
    actor: r.actor_id ?? '',
    outcome: r.outcome,
    ms: r.duration_ms === null ? '' : String(Math.round(r.duration_ms)),
  };
}

export async function queryCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const q = parseAuditQuery(flagReader(values), 'flag');
  const trail = await openExistingStore(config);
  try {
    const records = await trail.store.query(q, q.after_seq !== undefined ? 'asc' : 'desc');
    if (values.json) {
      for (const r of records) writeLine(io.stdout, JSON.stringify(r));
    } else {
      writeLine(io.stdout, table(records.map(recordRow), ['chain', 'seq', 'time', 'service', 'method', 'target', 'actor', 'outcome', 'ms']));
    }
    return 0;
  } finally {
    await trail.close();
  }
}

export async function alertsCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const q = parseAlertQuery(flagReader(values), 'flag');
  const rules = loadRules(config.detection.rules_file);
  const trail = await openExistingStore(config);
  try {
    const detector = createDetector({ rules, db: trail.stateDb, logger: silentLogger });
    const alerts = detector.listAlerts(q);
    if (values.json) {
      for (const a of alerts) writeLine(io.stdout, JSON.stringify(a));
    } else {
      const rows = alerts.map((a) => ({
        time: a.time,
        level: a.level,
        rule: a.rule_id,
        count: String(a.count),
        evidence: a.evidence.records.map((r) => `${r.chain_id}#${r.seq}`).join(','),
        summary: a.summary,
      }));
      writeLine(io.stdout, table(rows, ['time', 'level', 'rule', 'count', 'evidence', 'summary'], 60));
    }
    return 0;
  } finally {
    await trail.close();
  }
}

const REPLAY_BATCH = 1000;

export async function replayCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const rules = loadRules(config.detection.rules_file);
  const services = typeof values.service === 'string' ? new Set(values.service.split(',').map((s) => s.trim()).filter(Boolean)) : null;
  const trail = await openExistingStore(config);
  const store = trail.store;
  try {
    const detector = createDetector({ rules, db: trail.stateDb, logger: silentLogger });
    detector.reset();
    let records = 0;
    let alerts = 0;
    const chains = await store.chains();
    for (const chainId of chains) {
      let batch: AuditRecord[] = [];
      for await (const record of store.iterate({ chainId, batchSize: REPLAY_BATCH })) {
        if (services && !services.has(record.service)) continue;
        batch.push(record);
        if (batch.length >= REPLAY_BATCH) {
          alerts += detector.process(batch).length;
          records += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) {
        alerts += detector.process(batch).length;
        records += batch.length;
      }
    }
    // The rebuilt state covers this replica's chain up to its end: a restarted serve continues from there.
    const [last] = await store.query({ chain_id: store.chainId, limit: 1 }, 'desc');
    detectionCursor(trail.stateDb).set(store.chainId, last?.seq ?? 0);
    const summary = { chains: chains.length, records, alerts, rules: rules.source, ...(services ? { services: [...services] } : {}) };
    writeLine(io.stdout, values.json ? JSON.stringify(summary) : `replayed ${records} records from ${chains.length} chain(s): ${alerts} alerts raised (rules: ${rules.source})`);
    return 0;
  } finally {
    await trail.close();
  }
}

export async function exportCommand(values: FlagValues, io: CliIo): Promise<number> {
  if (values.schema) {
    writeLine(io.stdout, JSON.stringify(AUDIT_RECORD_JSON_SCHEMA, null, 2));
    return 0;
  }
  const config = resolveConfig(values, io);
  const now = Date.now();
  const since = typeof values.since === 'string' ? parseTimeBound(values.since, 'since', 'flag', now) : null;
  const until = typeof values.until === 'string' ? parseTimeBound(values.until, 'until', 'flag', now) : null;
  const trail = await openExistingStore(config);
  const store = trail.store;
  try {
    const chains = typeof values.chain === 'string' ? [values.chain] : await store.chains();
    for (const chainId of chains) {
      for await (const r of store.iterate({ chainId })) {
        if ((since !== null && r.time < since) || (until !== null && r.time >= until)) continue;
        writeLine(io.stdout, JSON.stringify(r));
      }
    }
    return 0;
  } finally {
    await trail.close();
  }
}
