/**
 * The detector: for each sealed record, build its context from the baselines (state
 * *before* this call), run the enabled rules, raise or deduplicate alerts, then fold
 * the record into the baselines. Record time drives everything except silence, so a
 * replay (`reset()` then `process()` over the trail) rebuilds the same state.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '@mcptrail/conventions';
import { SqliteError } from 'better-sqlite3';
import { AlertBook, type Firing } from './alert-book';
import { BaselineBook } from './baseline-book';
import type { RefWithTrace } from './baseline-entry';
import { localTimeIn } from './hour-of-week';
import { Interner } from './intern';
import { LruMap } from './lru';
import { compileSuppress, type FieldSource, senderOf, type SuppressTest } from './record-fields';
import type { DefinitionContext, Evaluator, RecordContext, ServiceActivity } from './rule-kit';
import { SessionBook } from './session-book';
import { gated } from '../store/write-gate';
import { trustedTimeMs } from './trusted-time';
import { EVALUATORS } from './rules';
import type { Alert, CommitHook, Detector, DetectorOptions, DetectorStats, Rule, ToolDefinitionEvent } from './types';

const SEP = '\u001f';
const MARKER = /\[REDACTED:([A-Za-z0-9_.:-]{1,64})\]/g;
const MAX_SERVICES = 10_000;
const MAX_SERVICE_BYTES = 4 * 1024 * 1024;

interface ActiveRule {
  rule: Rule;
  evaluator: Evaluator;
  suppressed: SuppressTest;
}

/** Redaction types reported for a call: an optional `redaction_types` list, and markers in the error message. */
export function redactionTypesOf(rec: AuditRecord): string[] {
  const out: string[] = [];
  const declared = (rec as { redaction_types?: unknown }).redaction_types;
  if (Array.isArray(declared)) for (const t of declared) if (typeof t === 'string') out.push(t);
  const msg = rec.error_message;
  if (msg?.includes('[REDACTED:')) for (const m of msg.matchAll(MARKER)) out.push(m[1] as string);
  return out;
}

function emptyStats(): DetectorStats {
  return {
    baseline_keys_in_memory: 0,
    baseline_evictions: 0,
    rule_group_evictions: 0,
    session_evictions: 0,
    session_bytes: 0,
    baseline_bytes: 0,
    records_processed: 0,
    alerts_raised: 0,
    alerts_repeated: 0,
    suppressed_evaluations: 0,
    records_skipped: 0,
    evaluator_errors: 0,
  };
}

export function createDetector(opts: DetectorOptions): Detector {
  const { db, logger } = opts;
  const clock = opts.clock ?? Date.now;
  const settings = opts.rules.settings;
  const baselines = new BaselineBook(db, settings.max_baseline_keys, settings.max_baseline_bytes);
  const interner = new Interner();
  const alerts = new AlertBook(db);
  // Sessions and traces share one budget (keys `s…` and `t…`).
  const sessions = new SessionBook(settings.max_session_bytes, settings.max_sessions);
  const serviceWall = new LruMap<string, number>(MAX_SERVICES, undefined, { max: MAX_SERVICE_BYTES, of: (key) => 64 + 2 * key.length });
  const localTime = localTimeIn(settings.timezone, settings.holidays);
  let stats = emptyStats();

  const env = { settings, onGroupEvicted: () => void stats.rule_group_evictions++ };
  const active: ActiveRule[] = opts.rules.rules
    .filter((r) => r.enabled)
    .map((rule) => {
      const spec = EVALUATORS[rule.type];
      // Validated by loadRules; parsing again turns the raw params into compiled ones.
      const params = spec.params.parse(rule.params);
      return { rule, evaluator: spec.create(rule, params, env), suppressed: compileSuppress(rule.suppress) };
    });
  const onRecord = active.filter((a) => a.evaluator.onRecord);
  const onDefinition = active.filter((a) => a.evaluator.onDefinition);
  const onTick = active.filter((a) => a.evaluator.onTick);

  // Known services get a full silence window of grace from start-up.
  const armServices = () => {
    const now = clock();
    for (const entry of baselines.services()) if (entry.service !== null) serviceWall.set(entry.service, now);
  };
  armServices();

  function raise(a: ActiveRule, firing: Firing | null, out: Alert[]): void {
    if (!firing) return;
    const alert = alerts.raise(a.rule, firing);
    if (alert) {
      stats.alerts_raised++;
      out.push(alert);
    } else {
      stats.alerts_repeated++;
    }
  }

  function evaluate(a: ActiveRule, subject: FieldSource, run: () => Firing | null, out: Alert[]): void {
    if (a.suppressed(subject)) {
      stats.suppressed_evaluations++;
      return;
    }
    let firing: Firing | null;
    try {
      firing = run();
    } catch (err) {
      stats.evaluator_errors++;
      logger.warn('detection rule failed on a record', { rule_id: a.rule.id, error: err });
      return;
    }
    // Outside the try: a storage failure while raising must roll the batch back.
    raise(a, firing, out);
  }

  function processOne(rec: AuditRecord, out: Alert[]): void {
    const timeMs = trustedTimeMs(rec);
    if (Number.isNaN(timeMs) || typeof rec.service !== 'string') {
      stats.records_skipped++;
      return;
    }
    stats.records_processed++;
    // One copy of each identity string, whatever holds it afterwards (same values: the record reads the same).
    const fields = rec as { service: string; tool: string | null; actor_id: string | null; chain_id: string };
    fields.service = interner.intern(rec.service);
    fields.tool = interner.intern(rec.tool);
    fields.actor_id = interner.intern(rec.actor_id);
    fields.chain_id = interner.intern(rec.chain_id);
    const ref: RefWithTrace = { chain_id: rec.chain_id, seq: rec.seq, trace_id: rec.trace_id };
    const ids = { service: rec.service, tool: rec.tool, actor: rec.actor_id };
    const service = baselines.obtain('service', { service: rec.service, tool: null, actor: null });
    const serviceTool = rec.tool !== null ? baselines.obtain('service_tool', { ...ids, actor: null }) : null;
    const actor = rec.actor_id !== null ? baselines.obtain('actor', { service: null, tool: null, actor: rec.actor_id }) : null;
    const actorTool = actor && rec.tool !== null ? baselines.obtain('actor_tool', ids) : null;
    const actorService = actor ? baselines.obtain('actor_service', { ...ids, tool: null }) : null;
    const sender = senderOf(rec);
    const session = rec.session_id !== null && rec.tool !== null ? sessions.obtain(sender, `s${rec.service}${SEP}${rec.session_id}`) : null;
    const trace = rec.trace_id !== null && rec.tool !== null ? sessions.obtain(sender, `t${rec.trace_id}`) : null;
    const local = localTime(timeMs);
    const how = local.hourOfWeek;

    const ctx: RecordContext = {
      rec,
      timeMs,
      hourOfWeek: how,
      local,
      ref,
      service,
      serviceTool,
      actor,
      actorTool,
      actorService,
      session,
      trace,
      redactionTypes: redactionTypesOf(rec),
    };
    const firedBefore = stats.alerts_raised + stats.alerts_repeated;
    for (const a of onRecord) evaluate(a, rec, () => (a.evaluator.onRecord as NonNullable<Evaluator['onRecord']>)(ctx), out);
    // A call that raised an alert is counted, but never teaches the day profiles its hour:
    // repeated night attacks must not make the night look habitual.
    const learnSchedule = stats.alerts_raised + stats.alerts_repeated === firedBefore;

    for (const entry of [service, serviceTool, actor, actorTool, actorService]) {
      if (!entry) continue;
      entry.observe(timeMs, local, rec.outcome, rec.args_size, learnSchedule);
      baselines.touch(entry);
    }
    if (timeMs >= service.lastMs) service.lastRef = ref;
    if (serviceTool && rec.tool_schema_version !== null) serviceTool.schemaVersion = rec.tool_schema_version;
    // Rules have run (and left their marks): now this call becomes the previous step.
    if (session && rec.tool !== null) {
      const prev = session.prev;
      if (prev) service.addTransition(`${prev.tool}${SEP}${rec.tool}`);
      session.setPrev({ tool: rec.tool, timeMs, ref });
      sessions.settle(session);
    }
    if (trace && rec.tool !== null) {
      trace.setPrev({ tool: rec.tool, timeMs, ref });
      sessions.settle(trace);
    }
    serviceWall.set(rec.service, clock());
  }

  function processDefinition(ev: ToolDefinitionEvent, out: Alert[]): void {
    const timeMs = Date.parse(ev.time);
    if (Number.isNaN(timeMs) || !ev.service || !ev.tool) {
      stats.records_skipped++;
      return;
    }
    const serviceTool = baselines.obtain('service_tool', { service: ev.service, tool: ev.tool, actor: null });
    const fingerprint = ev.description
      ? `sha256:${createHash('sha256').update(ev.description).digest('hex').slice(0, 16)}`
      : null;
    const ctx: DefinitionContext = {
      ev,
      timeMs,
      ref: ev.ref ? { ...ev.ref, trace_id: ev.trace_id ?? null } : null,
      serviceTool,
      descriptionFingerprint: fingerprint,
    };
    const subject: FieldSource = { service: ev.service, tool: ev.tool };
    for (const a of onDefinition) {
      evaluate(a, subject, () => (a.evaluator.onDefinition as NonNullable<Evaluator['onDefinition']>)(ctx), out);
    }
    if (ev.schema_version) serviceTool.schemaVersion = ev.schema_version;
    if (fingerprint) serviceTool.descriptionFingerprint = fingerprint;
    if (serviceTool.observations === 0) {
      serviceTool.firstMs = timeMs;
      serviceTool.lastMs = timeMs;
    }
    baselines.touch(serviceTool);
  }

  /** One malformed input is skipped (counted, logged without its content); the batch goes on. */
  function guarded(what: string, input: unknown, work: () => void): void {
    try {
      work();
    } catch (err) {
      if (err instanceof SqliteError) throw err; // storage, not the record: roll back (see batch)
      stats.records_skipped++;
      const at = input as { chain_id?: unknown; seq?: unknown } | null;
      logger.warn(`detection skipped a malformed ${what}`, { chain_id: at?.chain_id, seq: at?.seq, error: err });
    }
  }

  let hook: CommitHook | null = null;

  /**
   * Writes every change since the last commit (baselines, alerts, and through the hook the
   * caller's cursor) in ONE transaction. When storage fails it rolls back and rethrows;
   * `keep` (a deferred commit): memory stays as it is, still marked changed, and the next
   * commit writes it all; otherwise (a batch folded and committed at once) the in-memory
   * baselines and open alerts are dropped so memory matches the database again, and the
   * caller can fold the same records again (its cursor did not move).
   */
  function commit(what: string, keep: boolean): void {
    const started = performance.now();
    try {
      // IMMEDIATE: the sealer thread writes the same file over its own connection; a deferred
      // transaction that reads first could not upgrade to a write after it committed (SQLITE_BUSY).
      // Through the process's write gate when this connection has one (the detection thread's: store/write-gate.ts).
      // The baselines' rows (their JSON) are made before the gate: the transaction only writes.
      const rows = baselines.rows();
      gated(db, () =>
        db.transaction(() => {
          baselines.flush(rows);
          alerts.flush();
          hook?.write();
        }).immediate(),
      );
    } catch (err) {
      if (!keep) dropState();
      logger.error(`detection could not store the state of a ${what} batch; ${keep ? 'kept in memory for the next commit' : 'rolled back'}`, {
        error: err,
        code: (err as { code?: unknown }).code,
        ms: Math.round(performance.now() - started),
      });
      throw err;
    }
    baselines.flushed();
    alerts.flushed();
    hook?.committed();
  }

  function dropState(): void {
    baselines.dropCache();
    alerts.dropCache();
    hook?.failed();
  }

  const pending = () => baselines.pending > 0 || alerts.pending > 0 || (hook?.pending() ?? false);
  const commitIfPending = () => void (pending() && commit('record', true));

  /** Runs `work` in memory; a storage failure while reading drops the caches (see commit). */
  function stage(what: string, work: (out: Alert[]) => void): Alert[] {
    const out: Alert[] = [];
    try {
      work(out);
    } catch (err) {
      dropState();
      logger.error(`detection could not read its state for a ${what} batch; rolled back`, { error: err });
      throw err;
    }
    return out;
  }

  /** Folds and commits at once (the detector's own batches: each is one transaction). */
  function batch(what: string, work: (out: Alert[]) => void): Alert[] {
    const out = stage(what, work);
    commit(what, false);
    return out;
  }

  return {
    process(records) {
      return batch('record', (out) => {
        for (const rec of records) guarded('record', rec, () => processOne(rec, out));
      });
    },
    stage(records) {
      return stage('record', (out) => {
        for (const rec of records) guarded('record', rec, () => processOne(rec, out));
      });
    },
    commit: () => commit('record', true),
    amendSealed(items) {
      for (const { record, placeholder } of items) {
        const ref: RefWithTrace = { chain_id: record.chain_id, seq: record.seq, trace_id: record.trace_id };
        alerts.resolve(placeholder, ref);
        // The service's last call (silence evidence) is stored: it names the sealed record.
        const service = typeof record.service === 'string' ? baselines.find('service', { service: record.service, tool: null, actor: null }) : null;
        if (service?.lastRef?.seq === placeholder) {
          service.lastRef = ref;
          baselines.touch(service);
        }
      }
    },
    setCommitHook(h) {
      hook = h;
    },
    processToolDefinitions(events) {
      return batch('tool definition', (out) => {
        for (const ev of events) guarded('tool definition', ev, () => processDefinition(ev, out));
      });
    },
    tick(now) {
      return batch('tick', (out) => {
        const services: ServiceActivity[] = [];
        for (const [service, lastWallMs] of serviceWall.entries()) {
          const entry = baselines.find('service', { service, tool: null, actor: null });
          if (entry) services.push({ service, entry, lastWallMs });
        }
        for (const a of onTick) {
          let firings: Firing[] = [];
          try {
            firings = (a.evaluator.onTick as NonNullable<Evaluator['onTick']>)(now, { services, localTime });
          } catch (err) {
            stats.evaluator_errors++;
            logger.warn('detection rule failed on tick', { rule_id: a.rule.id, error: err });
          }
          for (const f of firings) if (!a.suppressed(f.group)) raise(a, f, out);
        }
      });
    },
    listAlerts: (q) => {
      commitIfPending();
      return alerts.list(q);
    },
    baselines: (q) => {
      commitIfPending();
      return baselines.query(q);
    },
    reset() {
      // Unwritten changes are forgotten with the rest.
      baselines.dropCache();
      alerts.dropCache();
      db.transaction(() => {
        baselines.reset();
        alerts.reset();
      })();
      sessions.clear();
      serviceWall.clear();
      interner.clear();
      for (const a of active) a.evaluator.reset?.();
      stats = emptyStats();
    },
    purgeBefore(cutoff) {
      const ms = cutoff.getTime();
      if (Number.isNaN(ms)) throw new TypeError('purgeBefore: cutoff is not a valid date');
      commitIfPending();
      return db.transaction(() => ({ alerts: alerts.purgeBefore(ms), baselines: baselines.purgeBefore(ms) }))();
    },
    stats() {
      return {
        ...stats,
        baseline_keys_in_memory: baselines.size,
        baseline_evictions: baselines.evictions,
        session_evictions: sessions.evictions,
        session_bytes: sessions.bytes,
        baseline_bytes: baselines.bytes,
      };
    },
  };
}
