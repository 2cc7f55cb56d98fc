import { createHmac, randomUUID } from 'node:crypto';
import { type AuditRecord, EVENT_MCPTRAIL_ALERT, EVENT_MCPTRAIL_AUDIT_RECORD } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import type { Logger } from '../logger';
import { safeJsonStringify } from '../safe-text';
import type { Sink, SinkStats } from './types';
import { EVENT_MCPTRAIL_CHECKPOINT, type WitnessEntry } from '../witness/file-witness';

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
  /** Injected for tests of the jitter. @default Math.random */
  random?: () => number;
}

export const SIGNATURE_HEADER = 'x-mcptrail-signature';

/** `sha256=<hex HMAC-SHA256(secret, body)>`: what a receiver recomputes over the raw body to authenticate it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface Delivery {
  id: string;
  event: string;
  body: string;
  attempts: number;
}

/** Statuses worth retrying: timeouts, throttling and server errors. Other 4xx are final. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * POSTs alerts (one request each) and optionally record batches as JSON to a URL, signed with
 * an HMAC of the exact body. Deliveries go through a bounded in-memory queue served by one
 * worker, retried with exponential backoff and full jitter, so a slow or dead endpoint
 * never slows ingestion; when the queue is full the oldest delivery is dropped and counted.
 */
export function createWebhookSink(opts: WebhookSinkOptions): Sink & { stats(): SinkStats } {
  const queue: Delivery[] = [];
  const stats: SinkStats = { delivered: 0, failed: 0, dropped: 0 };
  const random = opts.random ?? Math.random;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  // Only the origin is ever logged: paths and query strings may carry tokens.
  const target = new URL(opts.url).origin;
  let running: Promise<void> | null = null;
  let closed = false;
  let wake: (() => void) | null = null;
  let hurry = false;
  // The request in flight, so close() can cut it off instead of waiting out its timeout.
  let inflight: AbortController | null = null;

  function enqueue(event: string, payload: Record<string, unknown>): void {
    if (closed) return;
    const id = randomUUID();
    const body = safeJsonStringify({ event, id, ...payload });
    if (queue.length >= opts.queueSize) {
      queue.shift();
      stats.dropped += 1;
      opts.logger.warn('webhook queue full, oldest delivery dropped', {
        code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY',
        target,
        dropped: stats.dropped,
      });
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

  async function attempt(d: Delivery): Promise<{ ok: boolean; final: boolean; reason: string }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), opts.timeoutMs);
    inflight = controller;
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mcptrail-processor',
          [SIGNATURE_HEADER]: signBody(opts.secret, d.body),
          'x-mcptrail-event': d.event,
          'x-mcptrail-delivery': d.id,
        },
        body: d.body,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, final: true, reason: '' };
      return { ok: false, final: !retryable(res.status), reason: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const abortedBy = controller.signal.aborted ? (controller.signal.reason as Error | undefined)?.name : undefined;
      const reason = abortedBy === 'TimeoutError' ? 'timeout' : abortedBy ? 'shutdown' : (e.cause?.code ?? e.name);
      return { ok: false, final: false, reason };
    } finally {
      clearTimeout(timer);
      inflight = null;
    }
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
      if (closed) inflight?.abort(new DOMException('shutdown', 'AbortError'));
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
    checkpoint(entry: WitnessEntry) {
      enqueue(EVENT_MCPTRAIL_CHECKPOINT, { checkpoint: entry });
    },
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
        opts.logger.error('webhook deliveries lost at shutdown', {
          code: 'MCPTRAIL_ERR_SINK_WEBHOOK_DELIVERY',
          target,
          lost: queue.length,
        });
        queue.length = 0;
      }
    },
    stats: () => ({ ...stats }),
  };
}
