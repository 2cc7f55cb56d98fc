import { createHash } from 'node:crypto';
import { trace, type Context, type Link, type SpanContext } from '@opentelemetry/api';

/**
 * The server side of a 2026-07-28 multi-round-trip call (SEP-2322): a leg answers `input_required`, and the
 * client retries the call as a new request (fresh JSON-RPC id) carrying `inputResponses` and a byte-exact echo
 * of the leg's `requestState`. Nothing else in the protocol names the leg a retry continues, so the server
 * remembers each such leg's span under:
 * - `requestState` (the documented key: the spec's only field that ties a retry to its leg), with the method
 *   and its target (tool or prompt name, resource URI), which works whoever the client is;
 * - else, for a leg without `requestState`, the trace the request arrived in (from `_meta`, or an HTTP
 *   header under HTTP instrumentation) with the method and target: an instrumented client runs every leg of
 *   one call in the same trace, and a request with no trace context starts a fresh one, which ties nothing.
 * A retry links the leg it continues. A key two pending legs share is ambiguous and links nothing: a missing
 * link is better than a wrong one. The memory is per process and bounded: a retry that lands on another
 * replica of a stateless server is not linked.
 */
export class RoundTripLegs {
  private readonly legs = new Map<string, Leg>();

  constructor(
    private readonly maxLegs = 1024,
    private readonly ttlMs = 3_600_000,
  ) {}

  /** A leg answered `input_required`: remember its span for the retry. */
  ended(request: RequestLike, result: unknown, span: SpanContext, parent: Context): void {
    const target = targetOf(request);
    if (target === undefined) return;
    const keys: string[] = [];
    const state = (result as { requestState?: unknown } | undefined)?.requestState;
    if (typeof state === 'string') keys.push(key('state', target, state));
    const traceId = traceIdOf(parent);
    if (traceId !== undefined) keys.push(key('trace', target, traceId));
    if (keys.length === 0) return;
    const at = Date.now();
    const leg: Leg = { span, keys, at };
    for (const k of keys) {
      const known = this.legs.get(k);
      // Two pending legs under one key: neither can be told apart from the other.
      if (known !== undefined && !this.expired(known)) this.legs.set(k, { keys: [], at });
      else this.legs.set(k, leg);
    }
    this.evict();
  }

  /** The link of an incoming retry to the leg it continues, or undefined (not a retry, or nothing known). */
  retryLink(request: RequestLike, parent: Context): Link | undefined {
    try {
      return this.previousLegOf(request, parent);
    } catch {
      return undefined; // a peer-controlled request never breaks the call
    }
  }

  private previousLegOf(request: RequestLike, parent: Context): Link | undefined {
    const params = request.params;
    if (!params || typeof params !== 'object') return undefined;
    const state = params['requestState'];
    if (typeof state !== 'string' && params['inputResponses'] === undefined) return undefined;
    const target = targetOf(request);
    if (target === undefined) return undefined;
    const traceId = traceIdOf(parent);
    const candidates = [
      typeof state === 'string' ? key('state', target, state) : undefined,
      traceId !== undefined ? key('trace', target, traceId) : undefined,
    ];
    for (const k of candidates) {
      const leg = k === undefined ? undefined : this.legs.get(k);
      if (leg?.span === undefined || this.expired(leg)) continue;
      for (const other of leg.keys) if (this.legs.get(other) === leg) this.legs.delete(other);
      return { context: leg.span };
    }
    return undefined;
  }

  get size(): number {
    return this.legs.size;
  }

  private expired(leg: Leg): boolean {
    return Date.now() - leg.at > this.ttlMs;
  }

  /** Oldest first (a Map keeps insertion order). */
  private evict(): void {
    for (const k of this.legs.keys()) {
      if (this.legs.size <= this.maxLegs) return;
      this.legs.delete(k);
    }
  }
}

interface RequestLike {
  method?: unknown;
  params?: Record<string, unknown>;
}

/** A pending leg; without `span`, a key two legs shared (ambiguous until it expires). */
interface Leg {
  span?: SpanContext;
  keys: string[];
  at: number;
}

/** The methods that can answer `input_required`, and what a retry of each must name again. */
function targetOf(request: RequestLike): string | undefined {
  const params = request.params;
  if (!params || typeof params !== 'object') return undefined;
  const value = request.method === 'resources/read' ? params['uri'] : request.method === 'tools/call' || request.method === 'prompts/get' ? params['name'] : undefined;
  return typeof value === 'string' ? `${request.method}\n${value}` : undefined;
}

/** Hashed: `requestState` is the server's own opaque (possibly large) memory, never kept as is. */
function key(kind: 'state' | 'trace', target: string, value: string): string {
  return createHash('sha256').update(kind).update('\n').update(target).update('\n').update(value).digest('base64url');
}

/** The trace a request arrived in: the peer's (from `_meta` or a header), or a local span's. */
function traceIdOf(parent: Context): string | undefined {
  const sc = trace.getSpanContext(parent);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}
