/**
 * Structural checks of a Collector config, the ones `otelcol-contrib validate` would make that
 * matter to us. No Collector binary is obtainable on our CI machines, so this stands in for the
 * "does it load" half; each rule returns a message naming the offending component and key.
 */
import { parse } from 'yaml';
import {
  type ComponentKind,
  DEPRECATED_TYPES,
  KNOWN_COMPONENTS,
  LOAD_BALANCING_PROTOCOL_KEYS,
  LOAD_BALANCING_RESOLVER_KEYS,
  OTLP_RECEIVER_PROTOCOL_KEYS,
  PIPELINE_KEYS,
  RETRY_KEYS,
  SENDING_QUEUE_KEYS,
  SERVICE_KEYS,
  TOP_LEVEL_KEYS,
} from './known-components';

const KINDS: ComponentKind[] = ['receivers', 'processors', 'exporters', 'extensions'];
/** `type` or `type/name`: lower_snake_case type, any non-empty name. */
const COMPONENT_ID = /^([a-z][a-z0-9_]*)(?:\/(.+))?$/;
const PIPELINE_ID = /^(traces|logs|metrics)(?:\/(.+))?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateCollectorConfig(text: string): string[] {
  const errors: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return [`yaml: ${(e as Error).message}`];
  }
  if (!isObj(doc)) return ['config: top level must be a mapping'];

  for (const key of Object.keys(doc)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) errors.push(`config: unknown top-level key '${key}'`);
  }
  errors.push(...checkEnvReferences(text));

  const defined: Record<ComponentKind, Set<string>> = {
    receivers: new Set(), processors: new Set(), exporters: new Set(), extensions: new Set(),
  };
  for (const kind of KINDS) {
    const section = doc[kind];
    if (section === undefined || section === null) continue;
    if (!isObj(section)) {
      errors.push(`${kind}: must be a mapping`);
      continue;
    }
    for (const [id, cfg] of Object.entries(section)) {
      defined[kind].add(id);
      errors.push(...checkComponent(kind, id, cfg));
    }
  }

  const service = doc.service;
  if (!isObj(service)) return [...errors, 'service: missing'];
  for (const key of Object.keys(service)) {
    if (!(SERVICE_KEYS as readonly string[]).includes(key)) errors.push(`service: unknown key '${key}'`);
  }
  const enabledExtensions = new Set<string>();
  for (const ext of asList(service.extensions)) {
    if (!defined.extensions.has(ext)) errors.push(`service.extensions: '${ext}' is not defined under extensions`);
    enabledExtensions.add(ext);
  }
  for (const ext of defined.extensions) {
    if (!enabledExtensions.has(ext)) errors.push(`extensions.${ext}: defined but not enabled in service.extensions`);
  }

  const pipelines = service.pipelines;
  if (!isObj(pipelines) || Object.keys(pipelines).length === 0) return [...errors, 'service.pipelines: none defined'];
  const used: Record<ComponentKind, Set<string>> = {
    receivers: new Set(), processors: new Set(), exporters: new Set(), extensions: new Set(),
  };
  for (const [pid, pipeline] of Object.entries(pipelines)) {
    const m = PIPELINE_ID.exec(pid);
    if (!m) {
      errors.push(`service.pipelines.${pid}: id must be traces|logs|metrics[/name]`);
      continue;
    }
    if (!isObj(pipeline)) {
      errors.push(`service.pipelines.${pid}: must be a mapping`);
      continue;
    }
    for (const key of Object.keys(pipeline)) {
      if (!(PIPELINE_KEYS as readonly string[]).includes(key)) errors.push(`service.pipelines.${pid}: unknown key '${key}'`);
    }
    if (asList(pipeline.receivers).length === 0) errors.push(`service.pipelines.${pid}: needs at least one receiver`);
    if (asList(pipeline.exporters).length === 0) errors.push(`service.pipelines.${pid}: needs at least one exporter`);
    for (const kind of PIPELINE_KEYS) {
      const ids = asList(pipeline[kind]);
      for (const id of ids) {
        used[kind].add(id);
        if (!defined[kind].has(id)) {
          errors.push(`service.pipelines.${pid}.${kind}: '${id}' is not defined under ${kind}`);
        }
      }
      if (new Set(ids).size !== ids.length) errors.push(`service.pipelines.${pid}.${kind}: lists a component twice`);
    }
    const processors = asList(pipeline.processors);
    const limiter = processors.findIndex((p) => p.startsWith('memory_limiter'));
    if (limiter > 0) errors.push(`service.pipelines.${pid}.processors: memory_limiter must come first`);
  }
  for (const kind of PIPELINE_KEYS) {
    for (const id of defined[kind]) {
      if (!used[kind].has(id)) errors.push(`${kind}.${id}: defined but used by no pipeline`);
    }
  }

  // A persistent queue must name a storage extension that exists and is enabled.
  const exporters = isObj(doc.exporters) ? doc.exporters : {};
  for (const [id, cfg] of Object.entries(exporters)) {
    const storage = isObj(cfg) && isObj(cfg.sending_queue) ? cfg.sending_queue.storage : undefined;
    if (storage === undefined) continue;
    if (typeof storage !== 'string' || !defined.extensions.has(storage)) {
      errors.push(`exporters.${id}.sending_queue.storage: '${String(storage)}' is not a defined extension`);
    } else if (!enabledExtensions.has(storage)) {
      errors.push(`exporters.${id}.sending_queue.storage: '${storage}' is not enabled in service.extensions`);
    }
  }
  return errors;
}

function checkComponent(kind: ComponentKind, id: string, cfg: unknown): string[] {
  const where = `${kind}.${id}`;
  const m = COMPONENT_ID.exec(id);
  if (!m) return [`${where}: id must be type[/name] with a lower_snake_case type`];
  const type = m[1] as string;
  if (DEPRECATED_TYPES[type]) return [`${where}: '${type}' is a deprecated alias, use '${DEPRECATED_TYPES[type]}'`];
  if (kind === 'exporters' && type === 'otlp') return [`${where}: the OTLP/gRPC exporter is now 'otlp_grpc'`];
  const known = KNOWN_COMPONENTS[kind][type];
  if (!known) return [`${where}: unknown ${kind.slice(0, -1)} type '${type}'`];
  if (cfg === null || cfg === undefined) return [];
  if (!isObj(cfg)) return [`${where}: must be a mapping`];
  const errors = unknownKeys(where, cfg, known.keys);
  if (isObj(cfg.sending_queue)) errors.push(...unknownKeys(`${where}.sending_queue`, cfg.sending_queue, SENDING_QUEUE_KEYS));
  if (isObj(cfg.retry_on_failure)) errors.push(...unknownKeys(`${where}.retry_on_failure`, cfg.retry_on_failure, RETRY_KEYS));
  if (type === 'otlp' && kind === 'receivers') {
    if (!isObj(cfg.protocols)) errors.push(`${where}.protocols: required`);
    else errors.push(...unknownKeys(`${where}.protocols`, cfg.protocols, OTLP_RECEIVER_PROTOCOL_KEYS));
  }
  if (type === 'load_balancing') {
    if (!isObj(cfg.protocol)) errors.push(`${where}.protocol: required`);
    else {
      errors.push(...unknownKeys(`${where}.protocol`, cfg.protocol, LOAD_BALANCING_PROTOCOL_KEYS));
      const otlp = cfg.protocol.otlp;
      if (isObj(otlp)) {
        errors.push(...unknownKeys(`${where}.protocol.otlp`, otlp, KNOWN_COMPONENTS.exporters.otlp_grpc?.keys ?? []));
        if ('endpoint' in otlp) errors.push(`${where}.protocol.otlp.endpoint: set by the resolver, must not be given`);
      }
    }
    if (!isObj(cfg.resolver)) errors.push(`${where}.resolver: required`);
    else errors.push(...unknownKeys(`${where}.resolver`, cfg.resolver, LOAD_BALANCING_RESOLVER_KEYS));
    if (cfg.routing_key !== undefined && !['service', 'traceID', 'resource', 'metric', 'streamID', 'attributes'].includes(String(cfg.routing_key))) {
      errors.push(`${where}.routing_key: unknown value '${String(cfg.routing_key)}'`);
    }
  }
  if ((type === 'otlp_http' || type === 'azure_monitor') && kind === 'exporters') {
    const target = type === 'otlp_http' ? cfg.endpoint ?? cfg.traces_endpoint : cfg.connection_string ?? cfg.instrumentation_key;
    if (target === undefined) errors.push(`${where}: needs ${type === 'otlp_http' ? 'endpoint' : 'connection_string'}`);
  }
  return errors;
}

function unknownKeys(where: string, cfg: Obj, allowed: readonly string[]): string[] {
  return Object.keys(cfg)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}: unknown key '${k}'`);
}

/** Only `${env:NAME}` and `${env:NAME:-default}` expand; a bare `${NAME}` is deprecated and `$NAME` is literal. */
function checkEnvReferences(text: string): string[] {
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    const content = line.replace(/(^|\s)#.*$/, '');
    for (const m of content.matchAll(/\$\{([^}]*)\}/g)) {
      if (!/^env:[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?$/.test(m[1] ?? '')) {
        errors.push(`env: '${m[0]}' is not of the form \${env:NAME} or \${env:NAME:-default}`);
      }
    }
  }
  return errors;
}

function asList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
