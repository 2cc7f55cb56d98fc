import { propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { McpRequestLike } from './types';

type Meta = Record<string, unknown>;

const metaSetter: TextMapSetter<Meta> = {
  set(carrier, key, value) {
    carrier[key] = value;
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
  const fields: Meta = {};
  propagation.inject(ctx, fields, metaSetter);
  if (Object.keys(fields).length === 0) return request;
  const params = request.params ?? {};
  const meta = (params['_meta'] && typeof params['_meta'] === 'object' ? params['_meta'] : {}) as Meta;
  return { ...request, params: { ...params, _meta: { ...meta, ...fields } } };
}

/** The context carried in `params._meta` of an incoming request, layered over `base`. */
export function extractFromMeta(request: McpRequestLike, base: Context): Context {
  const meta = request.params?.['_meta'];
  if (!meta || typeof meta !== 'object') return base;
  return propagation.extract(base, meta as Meta, metaGetter);
}
