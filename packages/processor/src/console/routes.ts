/**
 * The console: a page shell and its scripts (public, no data) and its JSON endpoints under
 * `/console/api/` (behind the receiver's bearer token, like /api/*). Mounted on the
 * receiver's `api` hook before the query API. Every response carries a strict
 * Content-Security-Policy; the only write is an alert's acknowledge/resolve state: an event
 * appended to the chain's alert history and the state table, never an edit of the records.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors';
import { MAX_LIMIT, parseTimeBound, rejectUnknown } from '../api/filters';
import type { VerifyReport } from '../chain/verify';
import type { Detector } from '../detect/types';
import type { Logger } from '../logger';
import type { AlertEventInput, AuditStore } from '../store/types';
import { ALERT_STATES, type AlertState, type AlertStateBook, MAX_NOTE_CHARS } from './alert-state';
import { type Asset, loadAssets } from './assets';
import { buildBaselineDetail } from './baselines';
import { buildIntegrity } from './integrity';
import { buildOverview } from './overview';
import { startRollupCatchUp } from './rollup-catch-up';
import { buildTimeline, TimelineNotFound } from './timeline';

export interface ConsoleOptions {
  store: AuditStore;
  detector: Detector | null;
  alertStates: AlertStateBook | null;
  /**
   * Appends an acknowledge/resolve to the chain's alert history (hash-chained and covered by
   * the next checkpoint, so a state change cannot be removed or rewritten unnoticed). Without
   * it, the state is kept in the state table only.
   */
  recordAlertEvent?: (event: AlertEventInput) => Promise<void>;
  verify: () => Promise<VerifyReport>;
  logger: Logger;
  clock?: () => number;
  /** Where the static files are (tests). @default the package's console-assets/ */
  assetsDir?: string;
}

export type ConsoleHandler = ((req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>) & {
  /** Stops the rollup's catch-up timer (the store stays open). */
  close(): void;
};

/**
 * No inline script or style, nothing from another origin, no framing, no plugins, no
 * form posts, no <base>: telemetry text that slipped into markup could run nothing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

const MAX_BODY = 4096;
const DEFAULT_RANGE = '24h';

function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(head ? undefined : text);
}

function sendError(res: ServerResponse, err: ApiError, head: boolean, extra: Record<string, string> = {}): void {
  sendJson(res, err.statusCode, { error: { code: err.code, message: err.message, ...(err.param ? { param: err.param } : {}) } }, head, extra);
}

function getter(url: URL): (name: string) => string | undefined {
  return (name) => {
    const all = url.searchParams.getAll(name);
    if (all.length > 1) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter '${name}' is given ${all.length} times`, name);
    const v = all[0];
    if (v !== undefined && (v.length === 0 || v.length > 1024)) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter '${name}' must be 1 to 1024 characters`, name);
    return v;
  };
}

function integer(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter '${name}' must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`, name);
  }
  return Number(text);
}

function range(get: (n: string) => string | undefined, now: number): { since: string; until: string } {
  const since = parseTimeBound(get('since') ?? DEFAULT_RANGE, 'since', 'query', now);
  const untilText = get('until');
  const until = untilText === undefined ? new Date(now + 1).toISOString() : parseTimeBound(untilText, 'until', 'query', now);
  if (since >= until) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter 'since' must be before 'until'`, 'since');
  return { since, until };
}

function needDetector(d: Detector | null): Detector {
  if (!d) throw new ApiError('MCPTRAIL_ERR_API_DETECTION_DISABLED', 'detection is disabled (detection.enabled: false)');
  return d;
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  // A JSON content type makes a cross-site form post impossible (it needs a CORS preflight we never answer).
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `content-type must be application/json; got ${JSON.stringify(type ?? '')}`, 'content-type');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `request body is larger than ${MAX_BODY} bytes`, 'body');
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', 'request body is not JSON', 'body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', 'request body must be a JSON object', 'body');
  return parsed as Record<string, unknown>;
}

export function createConsoleHandler(opts: ConsoleOptions): ConsoleHandler {
  const clock = opts.clock ?? Date.now;
  const assets: Map<string, Asset> = loadAssets(opts.assetsDir);
  const rollup = startRollupCatchUp(opts.store.rollup(), opts.logger);
  let verifying: Promise<VerifyReport> | null = null;

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, head: boolean): Promise<void> {
    const path = url.pathname;
    const get = getter(url);
    const names = new Set(url.searchParams.keys());
    const alertAction = /^\/console\/api\/alerts\/([A-Za-z0-9._:-]{1,128})\/state$/.exec(path);
    if (alertAction) {
      if (req.method !== 'POST') throw new MethodError('POST');
      rejectUnknown(names, [], 'query');
      const detector = needDetector(opts.detector);
      const id = alertAction[1] as string;
      const alert = detector.listAlerts({ limit: MAX_LIMIT }).find((a) => a.id === id);
      if (!alert) throw new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', `no alert ${JSON.stringify(id)}`);
      const body = await readJsonBody(req);
      const state = body.state;
      if (typeof state !== 'string' || !(ALERT_STATES as readonly string[]).includes(state)) {
        throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `body field 'state' must be one of ${ALERT_STATES.join(', ')}`, 'state');
      }
      const note = body.note;
      if (note !== undefined && note !== null && (typeof note !== 'string' || note.length > MAX_NOTE_CHARS)) {
        throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `body field 'note' must be a string of at most ${MAX_NOTE_CHARS} characters`, 'note');
      }
      const now = clock();
      // The chained event first: a state the history does not hold is never shown.
      if (opts.recordAlertEvent && (state === 'acknowledged' || state === 'resolved')) {
        await opts.recordAlertEvent({
          event: state,
          alert_id: id,
          rule_id: alert.rule_id,
          time: new Date(now).toISOString(),
          level: alert.level,
          actor: 'console',
          summary: typeof note === 'string' ? note : null,
        });
      }
      const entry = (opts.alertStates as AlertStateBook).set(id, state as AlertState, (note as string | undefined) ?? null, now);
      opts.logger.info('alert state changed', { alert_id: id, state });
      sendJson(res, 200, { id, ...entry }, false);
      return;
    }
    if (req.method !== 'GET' && !head) throw new MethodError('GET, HEAD');
    switch (path) {
      case '/console/api/overview': {
        rejectUnknown(names, ['since', 'until', 'service', 'tool', 'actor'], 'query');
        const r = range(get, clock());
        const service = get('service');
        const tool = get('tool');
        const actor = get('actor');
        await rollup.fresh();
        const overview = await buildOverview(opts.store, opts.detector, { ...r, ...(service ? { service } : {}), ...(tool ? { tool } : {}), ...(actor ? { actor } : {}) });
        return sendJson(res, 200, overview, head);
      }
      case '/console/api/timeline': {
        rejectUnknown(names, ['session', 'service', 'trace_id', 'chain', 'seq', 'after_chain', 'after_seq', 'limit'], 'query');
        const chain = get('chain');
        const seq = integer(get('seq'), 'seq', 1, Number.MAX_SAFE_INTEGER);
        const traceId = get('trace_id');
        if (traceId !== undefined && !/^[0-9a-fA-F]{32}$/.test(traceId)) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter 'trace_id' must be 32 hex characters`, 'trace_id');
        const session = get('session');
        if ((chain === undefined) !== (seq === undefined)) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameters 'chain' and 'seq' go together`, chain === undefined ? 'chain' : 'seq');
        if (chain === undefined && session === undefined && traceId === undefined) {
          throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `give 'session' (and 'service'), 'trace_id', or 'chain' and 'seq'`, 'session');
        }
        const afterChain = get('after_chain');
        const afterSeq = integer(get('after_seq'), 'after_seq', 0, Number.MAX_SAFE_INTEGER);
        const service = get('service');
        try {
          const timeline = await buildTimeline(opts.store, {
            ...(session !== undefined ? { session } : {}),
            ...(service !== undefined ? { service } : {}),
            ...(traceId !== undefined ? { trace_id: traceId.toLowerCase() } : {}),
            ...(chain !== undefined && seq !== undefined ? { at: { chain_id: chain, seq } } : {}),
            ...(afterChain !== undefined && afterSeq !== undefined ? { after: { chain: afterChain, seq: afterSeq } } : {}),
            limit: integer(get('limit'), 'limit', 1, MAX_LIMIT) ?? 200,
          });
          return sendJson(res, 200, timeline, head);
        } catch (err) {
          if (err instanceof TimelineNotFound) throw new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', err.message);
          throw err;
        }
      }
      case '/console/api/alerts': {
        rejectUnknown(names, ['since', 'level', 'rule', 'state', 'limit'], 'query');
        const detector = needDetector(opts.detector);
        const level = get('level');
        const rule = get('rule');
        const state = get('state');
        if (state !== undefined && !(ALERT_STATES as readonly string[]).includes(state)) {
          throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter 'state' must be one of ${ALERT_STATES.join(', ')}`, 'state');
        }
        const since = get('since');
        const alerts = detector.listAlerts({
          ...(since ? { since: parseTimeBound(since, 'since', 'query', clock()) } : {}),
          ...(level ? { level: level as never } : {}),
          ...(rule ? { rule_id: rule } : {}),
          limit: integer(get('limit'), 'limit', 1, MAX_LIMIT) ?? 200,
        });
        const states = opts.alertStates?.states(alerts.map((a) => a.id)) ?? new Map();
        const out = alerts
          .map((a) => ({ ...a, state: states.get(a.id) ?? { state: 'open', time: null, note: null } }))
          .filter((a) => state === undefined || a.state.state === state);
        return sendJson(res, 200, { alerts: out, count: out.length }, head);
      }
      case '/console/api/baselines': {
        rejectUnknown(names, ['kind', 'service', 'tool', 'actor', 'since', 'until'], 'query');
        const detector = needDetector(opts.detector);
        const kind = get('kind');
        const service = get('service');
        const tool = get('tool');
        const actor = get('actor');
        if (kind === undefined) {
          const baselines = detector.baselines({ ...(service ? { service } : {}), ...(tool ? { tool } : {}), ...(actor ? { actor } : {}), limit: 500 });
          return sendJson(res, 200, { baselines, count: baselines.length }, head);
        }
        if (!['service', 'service_tool', 'actor', 'actor_tool', 'actor_service'].includes(kind)) {
          throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter 'kind' must be one of service, service_tool, actor, actor_tool, actor_service`, 'kind');
        }
        await rollup.fresh();
        const detail = await buildBaselineDetail(
          opts.store,
          detector,
          { kind: kind as never, ...(service ? { service } : {}), ...(tool ? { tool } : {}), ...(actor ? { actor } : {}) },
          range(get, clock()),
        );
        if (!detail) throw new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', 'no such baseline');
        return sendJson(res, 200, detail, head);
      }
      case '/console/api/integrity': {
        rejectUnknown(names, [], 'query');
        return sendJson(res, 200, await buildIntegrity(opts.store), head);
      }
      case '/console/api/verify': {
        rejectUnknown(names, [], 'query');
        // One run at a time: concurrent callers share it.
        verifying ??= opts.verify().finally(() => (verifying = null));
        const started = Date.now();
        const report = await verifying;
        return sendJson(res, 200, { ...report, verified_at: new Date(clock()).toISOString(), elapsed_ms: Date.now() - started }, head);
      }
      default:
        throw new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', `no console route ${path}`);
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname;
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    const head = req.method === 'HEAD';
    if (path === '/console') {
      res.writeHead(308, { ...SECURITY_HEADERS, location: '/console/', 'content-length': 0 });
      res.end();
      return true;
    }
    if (!path.startsWith('/console/api/')) {
      const asset = assets.get(path);
      if (!asset) {
        sendError(res, new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', `no console page ${path}`), head);
        return true;
      }
      if (req.method !== 'GET' && !head) {
        sendError(res, new ApiError('MCPTRAIL_ERR_API_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use GET`), head, { allow: 'GET, HEAD' });
        return true;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length });
      res.end(head ? undefined : asset.body);
      return true;
    }
    try {
      await api(req, res, url, head);
    } catch (err) {
      if (err instanceof MethodError) {
        sendError(res, new ApiError('MCPTRAIL_ERR_API_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${err.allow}`), head, { allow: err.allow });
      } else if (err instanceof ApiError) {
        sendError(res, err, head);
      } else if ((err as { code?: string }).code === 'MCPTRAIL_ERR_STORE_QUERY') {
        sendError(res, new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', (err as Error).message), head);
      } else {
        opts.logger.error('console request failed', { path, err });
        sendError(res, new ApiError('MCPTRAIL_ERR_API_INTERNAL', 'the request failed; see the processor log'), head);
      }
    }
    return true;
  };
  return Object.assign(handle, { close: () => rollup.close() });
}

class MethodError extends Error {
  constructor(readonly allow: string) {
    super(allow);
  }
}

