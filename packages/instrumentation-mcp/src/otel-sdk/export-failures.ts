import { diag } from '@opentelemetry/api';

/**
 * One short stderr line per kind of export failure (signal + error code or HTTP status), instead of
 * the SDK's JSON stack trace per failed export. The full error is logged at debug
 * (`OTEL_LOG_LEVEL=debug`). Also installed as the SDK's global error handler.
 */
export class ExportFailures {
  private readonly seen = new Map<string, number>();
  /** Errors already reported by a spooling exporter, which the SDK then hands to the global handler too. */
  private readonly reported = new WeakSet<object>();

  markReported<E extends Error>(error: E): E {
    this.reported.add(error);
    return error;
  }

  report(what: string, error: unknown, consequence: string): void {
    const kind = `${what}: ${failureKind(error)}`;
    const count = (this.seen.get(kind) ?? 0) + 1;
    this.seen.set(kind, count);
    if (count === 1) diag.warn(`${kind}; ${consequence} (further failures of this kind are counted, not printed)`);
    diag.debug(`${kind} (#${count})`, error);
  }

  /** For `setGlobalErrorHandler`: failures the SDK reports itself (metrics, unspooled spans). */
  readonly globalHandler = (error: unknown): void => {
    if (typeof error === 'object' && error !== null && this.reported.has(error)) return;
    this.report('export failed', error, 'not delivered (metrics are not spooled)');
  };

  totals(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.seen);
  }
}

/** `ECONNREFUSED`, `HTTP 503`, `timeout`, or the error's name: short and stable. */
export function failureKind(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown; data?: unknown } | undefined;
  if (e === undefined || e === null) return 'unknown error';
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (typeof e.code === 'number') return `HTTP ${e.code}`;
  const message = typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : '';
  const status = /\b(?:status(?: code)?|HTTP)\s*:?\s*(\d{3})\b/i.exec(message);
  if (status) return `HTTP ${status[1]}`;
  const code = /\b(E[A-Z]{3,}|ERR_[A-Z_]+)\b/.exec(message);
  if (code) return code[1] as string;
  if (/timeout|timed out/i.test(message)) return 'timeout';
  const first = message.split('\n')[0]?.slice(0, 80) ?? '';
  return first !== '' ? first : typeof e.name === 'string' ? e.name : 'unknown error';
}
