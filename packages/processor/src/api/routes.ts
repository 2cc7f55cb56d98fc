import type { ServerResponse } from 'node:http';
import type { Detector } from '../detect/types';
import type { RouteHandler } from '../http/receiver';
import type { Logger } from '../logger';
import { safeJsonStringify } from '../safe-text';
import type { AuditStore } from '../store/types';
import { ApiError } from './errors';
import { rateLimitedVerify, type VerifyFn } from './verify-runner';
import {
  ALERT_PARAMS,
  AUDIT_PARAMS,
  BASELINE_PARAMS,
  parseAlertQuery,
  parseAuditQuery,
  parseBaselineQuery,
  rejectUnknown,
} from './filters';

export interface ApiOptions {
  store: AuditStore;
  /** null when detection is disabled: /api/alerts and /api/baselines answer 503. */
  detector: Detector | null;
  /** Verifies the whole trail (chains and checkpoint signatures); service.ts runs it in a worker. */
  verify: VerifyFn;
  /** A new verification at most this often; callers in between get 429. @default 10000 */
  verifyIntervalMs?: number;
  /**
   * MOUNT POINT for more read-side routes (the web console): tried in order before the API's
   * own routes, each after the receiver's Host/Origin checks and its read-credential check.
   */
  routes?: readonly RouteHandler[];
  logger: Logger;
  /** Facts for /healthz besides `status` (no data, no config values). */
  health?: () => Record<string, unknown>;
  clock?: () => number;
}

export type ApiHandler = RouteHandler;

const AUDIT_ALLOWED = [...Object.keys(AUDIT_PARAMS), 'order'];

function send(res: ServerResponse, status: number, body: unknown, head: boolean, extra: Record<string, string> = {}): void {
  const text = safeJsonStringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(head ? undefined : text);
}

function sendError(res: ServerResponse, err: ApiError, head: boolean, extra: Record<string, string> = {}): void {
  send(res, err.statusCode, { error: { code: err.code, message: err.message, ...(err.param ? { param: err.param } : {}) } }, head, extra);
}

/** First value of a query parameter; a repeated parameter is ambiguous and rejected. */
function reader(url: URL): (name: string) => string | undefined {
  return (name) => {
    const all = url.searchParams.getAll(name);
    if (all.length > 1) throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter '${name}' is given ${all.length} times`, name);
    return all[0];
  };
}

/**
 * The query API, mounted on the receiver's HTTP server through its `api` hook:
 * `/healthz` (no auth, no data) and `/api/{audit,alerts,baselines,verify}` behind the
 * receiver's bearer token. Returns false for paths it does not own (→ receiver's 404).
 */
export function createApiHandler(opts: ApiOptions): ApiHandler {
  const clock = opts.clock ?? Date.now;
  const verifier = rateLimitedVerify(opts.verify, opts.verifyIntervalMs, clock);
  const mounted = opts.routes ?? [];

  return async (req, res, url, ctx) => {
    for (const route of mounted) if (await route(req, res, url, ctx)) return true;
    const path = url.pathname;
    if (path !== '/healthz' && path !== '/api' && !path.startsWith('/api/')) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendError(res, new ApiError('MCPTRAIL_ERR_API_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use GET`), false, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/healthz') {
      send(res, 200, { status: 'ok', ...(opts.health?.() ?? {}) }, head);
      return true;
    }
    try {
      const get = reader(url);
      const names = new Set(url.searchParams.keys());
      switch (path) {
        case '/api/audit': {
          rejectUnknown(names, AUDIT_ALLOWED, 'query');
          const q = parseAuditQuery(get, 'query', clock());
          const order = get('order') ?? (q.after_seq !== undefined ? 'asc' : 'desc');
          if (order !== 'asc' && order !== 'desc') {
            throw new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', `query parameter 'order' must be one of asc, desc; got ${JSON.stringify(order)}`, 'order');
          }
          const records = await opts.store.query(q, order);
          const limit = q.limit ?? 100;
          const last = records[records.length - 1];
          // A cursor only makes sense in chain order and when the page was full.
          const next = order === 'asc' && records.length === limit && last ? { chain: last.chain_id, after_seq: last.seq } : null;
          send(res, 200, { records, count: records.length, next }, head);
          return true;
        }
        case '/api/alerts': {
          rejectUnknown(names, ALERT_PARAMS, 'query');
          const q = parseAlertQuery(get, 'query', clock());
          if (!opts.detector) throw new ApiError('MCPTRAIL_ERR_API_DETECTION_DISABLED', 'detection is disabled (detection.enabled: false)');
          const alerts = opts.detector.listAlerts(q);
          send(res, 200, { alerts, count: alerts.length }, head);
          return true;
        }
        case '/api/baselines': {
          rejectUnknown(names, BASELINE_PARAMS, 'query');
          const q = parseBaselineQuery(get, 'query');
          if (!opts.detector) throw new ApiError('MCPTRAIL_ERR_API_DETECTION_DISABLED', 'detection is disabled (detection.enabled: false)');
          const baselines = opts.detector.baselines(q);
          send(res, 200, { baselines, count: baselines.length }, head);
          return true;
        }
        case '/api/verify': {
          rejectUnknown(names, [], 'query');
          send(res, 200, await verifier.run(), head);
          return true;
        }
        default:
          throw new ApiError('MCPTRAIL_ERR_API_NOT_FOUND', `no API route ${path} (routes: /api/audit, /api/alerts, /api/baselines, /api/verify, /healthz)`);
      }
    } catch (err) {
      if (err instanceof ApiError) {
        sendError(res, err, head, err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : {});
      } else if ((err as { code?: string }).code === 'MCPTRAIL_ERR_STORE_QUERY') {
        sendError(res, new ApiError('MCPTRAIL_ERR_API_BAD_PARAM', (err as Error).message), head);
      } else {
        opts.logger.error('API request failed', { path, err });
        sendError(res, new ApiError('MCPTRAIL_ERR_API_INTERNAL', 'the request failed; see the processor log'), head);
      }
      return true;
    }
  };
}
