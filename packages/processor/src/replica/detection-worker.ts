/**
 * Entry of the detection thread (see detection-thread.ts): opens its own connections (the
 * trail, for catch-up; the state), runs the detector with its cursor (detection-state.ts),
 * and folds what the receiving thread forwards, one message at a time in arrival order.
 * Synchronous queries are answered between two messages, ahead of the queued ones.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type Database from 'better-sqlite3';
import { createDetector } from '../detect/engine';
import { loadRules } from '../detect/load-rules';
import type { Alert, Detector } from '../detect/types';
import type { Logger } from '../logger';
import { openPostgresStore } from '../store/postgres';
import { openSqliteStore } from '../store/sqlite';
import type { TrailStore } from '../store/types';
import { nameThisThread } from '../thread-name';
import { lowerThisThread, NICE_DETECTION } from '../thread-priority';
import { trackDetection, type TrackedDetection } from './detection-state';
import type { DetectionCall, DetectionThreadData, FromDetection, ToDetection } from './detection-thread';
import { openStateDb } from './open-trail';

const port = parentPort!;
const data = workerData as DetectionThreadData;
const signal = new Int32Array(data.signal);
const folded = new BigInt64Array(data.folded);
const send = (m: FromDetection) => port.postMessage(m);

/** Log fields cross the thread as plain data (errors by their message). */
const plain = (fields?: Record<string, unknown>) =>
  fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
function makeLogger(base: Record<string, unknown>): Logger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: Record<string, unknown>) => send({ t: 'log', level, msg, fields: plain({ ...base, ...fields }) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => makeLogger({ ...base, ...f }) };
}
const logger = makeLogger({});

const decode = <T>(json: Uint8Array): T[] => JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8')) as T[];
const alertsOut = (alerts: Alert[]) => void (alerts.length > 0 && send({ t: 'alerts', alerts }));

let detector: Detector;
let detection: TrackedDetection;
let store: TrailStore;
let stateDb: Database.Database | null = null;

/** Work in arrival order; queries (sync calls) go first, between two items. */
const queue: ToDetection[] = [];
let running = false;
let ready = false;

function answer(m: Extract<ToDetection, { t: 'call' }>, value: unknown, error: string | null): void {
  if (m.sync) {
    data.replies.postMessage({ t: 'reply', id: m.id, value, error } satisfies FromDetection);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  } else send({ t: 'reply', id: m.id, value, error });
}

async function run(method: DetectionCall, args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'catchUp':
      return detection.catchUp();
    case 'flush':
      return detection.flush();
    case 'listAlerts':
      return detector.listAlerts(args[0] as Parameters<Detector['listAlerts']>[0]);
    case 'baselines':
      return detector.baselines(args[0] as Parameters<Detector['baselines']>[0]);
    case 'stats':
      return detector.stats();
    case 'purgeBefore':
      return detector.purgeBefore(args[0] as Date);
    case 'reset':
      return detector.reset();
    case 'process':
      return detector.process(args[0] as AuditRecord[]);
    case 'tick':
      return detector.tick(args[0] as number);
    case 'processToolDefinitions':
      return detector.processToolDefinitions(args[0] as Parameters<Detector['processToolDefinitions']>[0]);
  }
}

async function fold(m: Extract<ToDetection, { t: 'sealed' | 'lone' }>): Promise<void> {
  switch (m.t) {
    case 'sealed':
      try {
        alertsOut(detection.process(decode<AuditRecord>(m.json)));
      } catch (err) {
        if (await commitLater(err)) return;
        // Detection is derived state (rebuildable with `mcptrail replay`): never let it fail the trail.
        logger.error('detection failed on sealed records', { records: m.count, err });
      }
      return;
    case 'lone':
      try {
        alertsOut(detection.loneHalves(decode<AuditDraft>(m.json)));
      } catch (err) {
        if (await commitLater(err)) return;
        logger.error('detection failed on lone halves', { drafts: m.count, err });
      }
      return;
  }
}

async function handle(m: ToDetection): Promise<void> {
  switch (m.t) {
    case 'sealed':
    case 'lone':
      try {
        await fold(m);
      } finally {
        // Folded or given up on (logged): either way no longer held back (DetectionThread.saturated).
        Atomics.add(folded, 0, BigInt(m.json.byteLength));
      }
      return;
    case 'definitions':
      try {
        alertsOut(detector.processToolDefinitions(m.events));
      } catch (err) {
        logger.error('detection failed on tool definitions', { err });
      }
      return;
    case 'tick':
      try {
        alertsOut(detector.tick(m.now));
      } catch (err) {
        logger.error('detection tick failed', { err });
      }
      return;
    case 'call':
      try {
        answer(m, await run(m.method, m.args), null);
      } catch (err) {
        answer(m, null, (err as Error).message);
      }
      return;
    case 'close':
      try {
        detection.close();
        await store.close();
        stateDb?.close();
        send({ t: 'reply', id: m.id, value: null, error: null });
      } catch (err) {
        send({ t: 'reply', id: m.id, value: null, error: (err as Error).message });
      }
      return;
  }
}

/**
 * The state commit met a locked file (another process, or the receiving thread's connection,
 * which the write gate does not order): the fold is kept in memory (engine.ts commit, `keep`),
 * so commit it again shortly, on this thread, before the next item. True when that worked.
 */
async function commitLater(err: unknown): Promise<boolean> {
  if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return false;
  for (let attempt = 0; attempt < BUSY_RETRIES; attempt++) {
    await new Promise((r) => setTimeout(r, BUSY_RETRY_MS * (attempt + 1)));
    try {
      alertsOut(detection.flush());
      return true;
    } catch (again) {
      if (!String((again as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw again;
    }
  }
  return false;
}
const BUSY_RETRIES = 5;
const BUSY_RETRY_MS = 20;

/** One item, then a turn of this thread's event loop (so a query is answered before the next). */
async function pump(): Promise<void> {
  if (running || !ready) return;
  running = true;
  try {
    while (queue.length > 0) {
      await handle(queue.shift()!);
      if (queue.length > 0) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    running = false;
  }
}

port.on('message', (m: ToDetection) => {
  // A query between two items (the state is consistent there), unless it must follow them:
  // catch-up and flush keep their place in the queue.
  if (m.t === 'call' && m.sync && ready && !running) {
    void handle(m);
    return;
  }
  if (m.t === 'call' && m.sync && ready) {
    queue.unshift(m);
  } else queue.push(m);
  void pump();
});

async function main(): Promise<void> {
  // Background work: the receiving thread gets the core first.
  nameThisThread('detect');
  lowerThisThread(NICE_DETECTION);
  const { trail } = data;
  store =
    trail.kind === 'sqlite'
      ? openSqliteStore({ path: trail.path, chainId: trail.chainId, ...(trail.writeGate ? { writeGate: { gate: trail.writeGate, priority: false } } : {}) })
      : await openPostgresStore({ url: trail.url, chainId: trail.chainId, poolSize: 1, onError: (err) => logger.warn('store connection lost', { error: err.message }) });
  if (trail.kind !== 'sqlite') stateDb = openStateDb(data.statePath!);
  const db = stateDb ?? (store as ReturnType<typeof openSqliteStore>).db;
  detector = createDetector({ rules: loadRules(data.rulesFile), db, logger: logger.child({ component: 'detect' }) });
  detection = trackDetection({
    detector,
    db,
    store,
    chainId: trail.chainId,
    stateIsCurrentWithoutCursor: trail.kind === 'sqlite',
    // Commits of a quiet moment (state deferred from the last records) deliver here.
    deliver: alertsOut,
    onError: (err) => logger.error('detection failed to store its state', { err }),
  });
  ready = true;
  send({ t: 'ready' });
  void pump();
}

main().catch((err: unknown) => send({ t: 'failed', error: (err as Error).message }));
