import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { appendFileSync, chmodSync, openSync, closeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type AuditRecord, EVENT_MCPTRAIL_ALERT, EVENT_MCPTRAIL_AUDIT_RECORD } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import type { Logger } from '../logger';
import { safeJsonStringify } from '../safe-text';
import type { Sink, SinkStats } from './types';
import { isLinkLocalOrMetadata, webhookUrlProblem } from './webhook-target';

export interface WebhookSinkOptions {
  url: string;
  /** HMAC-SHA256 key for `X-Mcptrail-Signature`. Never logged. */
  secret: string;
  records: boolean;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
  queueSize: number;
  logger: Logger;
  /** Upper bound of one retry delay. @default 30000 */
  maxBackoffMs?: number;
  /** How long `flush()`/`close()` wait for the queue to drain; then close() aborts and drops the rest. @default 10000 */
  flushTimeoutMs?: number;
  /** NDJSON file that keeps every delivery given up on (0600). @default null */
  deadLetterFile?: string | null;
  /** Let the target resolve to a link-local / metadata address. @default false */
  allowLinkLocal?: boolean;
  /** Injected for tests of the jitter. @default Math.random */
  random?: () => number;
  /** Seconds since the epoch for the signed timestamp. @default Date.now()/1000 */
  now?: () => number;
}

export const SIGNATURE_HEADER = 'x-mcptrail-signature';
/** How far a receiver should let the signed timestamp be from its clock (Stripe's default, too). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is inside the
 * MAC, so a captured delivery cannot be replayed once it is older than the receiver's
 * tolerance; every attempt is signed afresh.
 */
export function signBody(secret: string, body: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export type WebhookVerification = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'bad-signature' | 'outside-tolerance' };

/**
 * The receiver's side (documented in the README): checks the MAC over `<t>.<raw body>` in
 * constant time against every `v1` given (a secret being rotated may sign twice), then the
 * timestamp against the tolerance. Pass the raw body bytes exactly as received.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): WebhookVerification {
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' };
  let t: number | null = null;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) macs.push(value);
  }
  if (t === null || macs.length === 0) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  let match = false;
  for (const mac of macs) if (timingSafeEqual(Buffer.from(mac, 'hex'), expected)) match = true;
  if (!match) return { ok: false, reason: 'bad-signature' };
  const now = opts.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return { ok: false, reason: 'outside-tolerance' };
  return { ok: true, timestamp: t };
}

interface Delivery {
  id: string;
  event: string;
  body: string;
  attempts: number;
}

interface Attempt {
  ok: boolean;
  final: boolean;
  reason: string;
}

/** Statuses worth retrying: timeouts, throttling and server errors. Other 4xx are final, and so are redirects (never followed). */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface WebhookSink extends Sink {
  stats(): SinkStats;
  /** Queues any other event (e.g. a signed checkpoint) under the same signing, retries and dead letters. */
  deliver(event: string, payload: Record<string, unknown>): void;
}

/**
 * POSTs alerts (one request each) and optionally record batches as JSON to a URL, signed with
 * an HMAC over a timestamp and the exact body. Deliveries go through a bounded in-memory queue
 * served by one worker, retried with exponential backoff and full jitter, so a slow or dead
 * endpoint never slows ingestion. Redirects are not followed (a 3xx is a final failure: the
 * signed body never reaches a host it was not addressed to); the target's resolved address
 * is checked at every connection, so a name re-pointed at a metadata address is refused.
 * What is given up on goes to the dead-letter file.
 */
export function createWebhookSink(opts: WebhookSinkOptions): WebhookSink {
  const queue: Delivery[] = [];
  const stats: SinkStats = { delivered: 0, failed: 0, dropped: 0 };
  const random = opts.random ?? Math.random;
  const now = opts.now ?? (() => Date.now() / 1000);
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const url = new URL(opts.url);
  // Only the origin is ever logged: paths and query strings may carry tokens.
  const target = url.origin;
  const transport = url.protocol === 'https:' ? https : http;
  // An IP-literal target never goes through the lookup guard below: check it once here.
  const refusedTarget = webhookUrlProblem(opts.url, opts.allowLinkLocal === true);
  let running: Promise<void> | null = null;
  let closed = false;
  let wake: (() => void) | null = null;
  let hurry = false;
  // The request in flight, so close() can cut it off instead of waiting out its timeout.
  let inflight: http.ClientRequest | null = null;

  /** DNS answers are checked before connecting: the name may resolve differently than at config load. */
  const guardedLookup = (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      const bad = list.find((a) => isLinkLocalOrMetadata(a.address));
      if (bad && !opts.allowLinkLocal) {
        const e = new Error(`${hostname} resolves to a link-local or metadata address`) as NodeJS.ErrnoException;
        e.code = 'MCPTRAIL_LINK_LOCAL_REFUSED';
        return callback(e, []);
      }
      if ((options as { all?: boolean }).all) callback(null, list);
      else callback(null, list[0]?.address ?? '', list[0]?.family);
    });
  };

  function deadLetter(d: Delivery, reason: string): void {
    if (!opts.deadLetterFile) return;
    try {
      const fd = openSync(opts.deadLetterFile, 'a', 0o600);
      closeSync(fd);
      chmodSync(opts.deadLetterFile, 0o600);
      appendFileSync(opts.deadLetterFile, `${JSON.stringify({ time: new Date().toISOString(), target, event: d.event, delivery: d.id, attempts: d.attempts, reason, body: d.body })}\n`);
    } catch (err) {
      opts.logger.error('webhook dead-letter write failed', { code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY', target, delivery: d.id, error: (err as Error).message });
    }
  }

  function enqueue(event: string, payload: Record<string, unknown>): void {
    if (closed) return;
    const id = randomUUID();
    const body = safeJsonStringify({ event, id, ...payload });
    if (queue.length >= opts.queueSize) {
      const oldest = queue.shift() as Delivery;
      stats.dropped += 1;
      deadLetter(oldest, 'queue full');
      opts.logger.warn('webhook queue full, oldest delivery dropped', { code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY', target, dropped: stats.dropped });
    }
    queue.push({ id, event, body, attempts: 0 });
    if (!running) running = drain().finally(() => (running = null));
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  function attempt(d: Delivery): Promise<Attempt> {
    if (refusedTarget) return Promise.resolve({ ok: false, final: true, reason: 'target is a link-local or metadata address' });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (a: Attempt): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inflight = null;
        resolve(a);
      };
      const body = Buffer.from(d.body);
      const req = transport.request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': 'mcptrail-processor',
          [SIGNATURE_HEADER]: signBody(opts.secret, d.body, now()),
          'x-mcptrail-event': d.event,
          'x-mcptrail-delivery': d.id,
        },
        lookup: guardedLookup as never,
      });
      inflight = req;
      const timer = setTimeout(() => {
        finish({ ok: false, final: false, reason: 'timeout' });
        req.destroy();
      }, opts.timeoutMs);
      req.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true, final: true, reason: '' });
          else if (status >= 300 && status < 400) finish({ ok: false, final: true, reason: `HTTP ${status} redirect not followed` });
          else finish({ ok: false, final: !retryable(status), reason: `HTTP ${status}` });
        });
        res.on('error', () => finish({ ok: false, final: false, reason: 'response aborted' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'MCPTRAIL_LINK_LOCAL_REFUSED') finish({ ok: false, final: true, reason: 'target resolves to a link-local or metadata address' });
        else finish({ ok: false, final: false, reason: closed && hurry ? 'shutdown' : (err.code ?? err.name) });
      });
      req.end(body);
    });
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const d = queue[0] as Delivery;
      d.attempts += 1;
      const r = await attempt(d);
      if (r.ok) {
        stats.delivered += 1;
        queue.shift();
        continue;
      }
      if (r.final || d.attempts >= opts.maxAttempts || (hurry && closed)) {
        stats.failed += 1;
        if (queue[0] === d) queue.shift();
        deadLetter(d, r.reason);
        opts.logger.error('webhook delivery dropped', {
          code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY',
          target,
          event: d.event,
          delivery: d.id,
          attempts: d.attempts,
          reason: r.reason,
        });
        continue;
      }
      opts.logger.warn('webhook delivery failed, will retry', { target, delivery: d.id, attempt: d.attempts, reason: r.reason });
      // Full jitter: a uniformly random delay up to the exponential bound spreads retries of many deliveries.
      const bound = Math.min(maxBackoff, opts.backoffMs * 2 ** (d.attempts - 1));
      await sleep(hurry ? 0 : Math.floor(random() * bound));
    }
  }

  async function flush(): Promise<void> {
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.flushTimeoutMs ?? 10_000);
    });
    const outcome = await Promise.race([running.then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      opts.logger.warn('webhook flush timed out', { target, pending: queue.length });
      // At shutdown, do not leave a hung request keeping the process alive.
      if (closed) inflight?.destroy();
    }
  }

  return {
    name: 'webhook',
    wantsRecords: opts.records,
    alerts(alerts: readonly Alert[]) {
      for (const alert of alerts) enqueue(EVENT_MCPTRAIL_ALERT, { alert });
    },
    records(records: readonly AuditRecord[]) {
      if (opts.records && records.length > 0) enqueue(EVENT_MCPTRAIL_AUDIT_RECORD, { records });
    },
    deliver: enqueue,
    flush,
    async close() {
      if (closed) return;
      closed = true;
      // On shutdown, retry without waiting out backoff; what still fails is dropped and logged.
      hurry = true;
      wake?.();
      await flush();
      if (queue.length > 0) {
        stats.dropped += queue.length;
        for (const d of queue) deadLetter(d, 'shutdown');
        opts.logger.error('webhook deliveries lost at shutdown', { code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY', target, lost: queue.length });
        queue.length = 0;
      }
    },
    stats: () => ({ ...stats }),
  };
}
