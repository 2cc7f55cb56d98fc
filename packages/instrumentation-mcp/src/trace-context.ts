import { propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { McpRequestLike } from './types';

type Meta = Record<string, unknown>;

/** Writes into the copy of `_meta` being built, and notes that something was written. */
interface MetaCopy {
  meta: Meta;
  written: boolean;
}
const metaSetter: TextMapSetter<MetaCopy> = {
  set(carrier, key, value) {
    carrier.meta[key] = value;
    carrier.written = true;
  },
};

const metaGetter: TextMapGetter<Meta | undefined> = {
  keys: (carrier) => (carrier ? Object.keys(carrier) : []),
  get(carrier, key) {
    const v = carrier?.[key];
    return typeof v === 'string' ? v : undefined;
  },
};

/**
 * A copy of `request` whose `params._meta` carries `traceparent`/`tracestate`/`baggage` from `ctx`,
 * via the global propagator. The caller's request, params and _meta objects are never mutated.
 */
export function withInjectedMeta<T extends McpRequestLike>(request: T, ctx: Context): T {
  const params = request.params ?? {};
  const meta = params['_meta'];
  const copy: MetaCopy = { meta: meta && typeof meta === 'object' ? { ...(meta as Meta) } : {}, written: false };
  propagation.inject(ctx, copy, metaSetter);
  if (!copy.written) return request;
  return { ...request, params: { ...params, _meta: copy.meta } };
}

/** The context carried in `params._meta` of an incoming request, layered over `base`. */
export function extractFromMeta(request: McpRequestLike, base: Context): Context {
  const meta = request.params?.['_meta'];
  if (!meta || typeof meta !== 'object') return base;
  return propagation.extract(base, meta as Meta, metaGetter);
}
