import { ATTR_EVENT_NAME } from '@mcptrail/conventions';
import { OtlpDecodeError } from './errors';
import {
  ItemRejection,
  isZeroSpanId,
  isZeroTraceId,
  MAX_ANY_VALUE_DEPTH,
  RejectionTally,
  SPAN_ID_BYTES,
  setAttribute,
  TRACE_ID_BYTES,
} from './item-rules';
import { jsonErrorPosition } from './json-error-position';
import type {
  DecodedLogs,
  DecodedTraces,
  OtlpAttributes,
  OtlpLogRecord,
  OtlpResource,
  OtlpScope,
  OtlpSpan,
  OtlpSpanEvent,
  OtlpValue,
} from './types';

/**
 * OTLP/JSON: the protobuf JSON mapping with OTLP's deviations — trace/span ids as hex,
 * enums as integers (names accepted too), lowerCamelCase keys only, 64-bit integers as
 * strings or numbers, unknown fields ignored.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SEVERITY_PREFIX = 'SEVERITY_NUMBER_';
const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const HEX = /^[0-9a-fA-F]*$/;
const UINT = /^\d+$/;
const INT = /^-?\d+$/;

/** Parses the body; the error message keeps V8's position but never echoes body content. */
function parse(body: Uint8Array): Json {
  if (body.byteLength === 0) throw new OtlpDecodeError('invalid JSON: empty body (an empty export request is "{}")');
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    const pos = jsonErrorPosition(text);
    if (pos >= text.length) throw new OtlpDecodeError('invalid JSON: unexpected end of input');
    throw new OtlpDecodeError(pos >= 0 ? `invalid JSON at position ${pos}` : 'invalid JSON');
  }
}

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** A container (request, resource*, scope*, item list) of the wrong type makes the whole body unusable. */
function list(parent: JsonObject, key: string, path: string): Json[] {
  const v = parent[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${path}${key}: expected an array, got ${describe(v)}`);
  return v;
}

function object(v: Json, path: string): JsonObject {
  if (!isObject(v)) throw new OtlpDecodeError(`${path}: expected an object, got ${describe(v)}`);
  return v;
}

function str(v: Json, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ItemRejection(`${path}: expected a string, got ${describe(v)}`);
  return v;
}

function uint64(v: Json, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string' && UINT.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  throw new ItemRejection(`${path}: expected an unsigned integer (number or decimal string), got ${describe(v)}`);
}

function int64(v: Json, path: string): number | bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && INT.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : BigInt.asIntN(64, BigInt(v));
  }
  throw new ItemRejection(`${path}: expected an integer (number or decimal string), got ${describe(v)}`);
}

function enumValue(v: Json, names: Record<string, number> | null, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && names && v in names) return names[v] as number;
  // Never echo the value: rejection reasons reach the client and the logs.
  throw new ItemRejection(`${path}: expected an enum integer${names ? ' or name' : ''}, got ${typeof v === 'string' ? 'an unknown name' : describe(v)}`);
}

function severity(v: Json, path: string): number {
  if (typeof v === 'string' && v.startsWith(SEVERITY_PREFIX)) {
    const rest = v.slice(SEVERITY_PREFIX.length);
    if (rest === 'UNSPECIFIED') return 0;
    const m = /^([A-Z]+)([234]?)$/.exec(rest);
    const base = m ? SEVERITY_NAMES.indexOf(m[1] as string) : -1;
    if (m && base >= 0) return base * 4 + (m[2] ? Number(m[2]) : 1);
  }
  return enumValue(v, null, path);
}

/** Returns lowercase hex, '' when absent. A wrong length rejects the item and names the path. */
function hexId(v: Json, bytes: number, path: string): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string') throw new ItemRejection(`${path}: expected a hex string, got ${describe(v)}`);
  if (v.length !== bytes * 2) throw new ItemRejection(`${path}: expected ${bytes * 2} hex chars, got ${v.length}`);
  if (!HEX.test(v)) throw new ItemRejection(`${path}: not a hex string`);
  return v.toLowerCase();
}

function anyValue(v: Json, path: string, depth: number): OtlpValue {
  if (!isObject(v)) {
    if (v === undefined || v === null) return null;
    throw new ItemRejection(`${path}: expected an AnyValue object, got ${describe(v)}`);
  }
  if ('stringValue' in v) return str(v.stringValue, `${path}.stringValue`);
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean') throw new ItemRejection(`${path}.boolValue: expected a boolean, got ${describe(v.boolValue)}`);
    return v.boolValue;
  }
  if ('intValue' in v) return int64(v.intValue, `${path}.intValue`);
  if ('doubleValue' in v) {
    const d = v.doubleValue;
    if (typeof d === 'number') return d;
    if (d === 'NaN') return Number.NaN;
    if (d === 'Infinity') return Number.POSITIVE_INFINITY;
    if (d === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d))) return Number(d);
    throw new ItemRejection(`${path}.doubleValue: expected a number, got ${describe(d)}`);
  }
  if ('arrayValue' in v) {
    if (depth + 1 > MAX_ANY_VALUE_DEPTH) throw tooDeep(path);
    const inner = v.arrayValue;
    const values = isObject(inner) ? inner.values : undefined;
    if (values === undefined || values === null) return [];
    if (!Array.isArray(values)) throw new ItemRejection(`${path}.arrayValue.values: expected an array, got ${describe(values)}`);
    const out: OtlpValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = anyValue(values[i], `${path}.arrayValue.values[${i}]`, depth + 1);
    return out;
  }
  if ('kvlistValue' in v) {
    if (depth + 1 > MAX_ANY_VALUE_DEPTH) throw tooDeep(path);
    const inner = v.kvlistValue;
    const out: { [k: string]: OtlpValue } = {};
    attributesInto(out, isObject(inner) ? inner.values : undefined, `${path}.kvlistValue.values`, depth + 1);
    return out;
  }
  if ('bytesValue' in v) {
    const b = v.bytesValue;
    if (typeof b !== 'string') throw new ItemRejection(`${path}.bytesValue: expected a base64 string, got ${describe(b)}`);
    return new Uint8Array(Buffer.from(b, 'base64'));
  }
  return null;
}

function tooDeep(path: string): ItemRejection {
  return new ItemRejection(`${path}: value nests deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
}

function attributesInto(target: OtlpAttributes, v: Json, path: string, depth: number): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) throw new ItemRejection(`${path}: expected an array, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    const kv = v[i];
    if (!isObject(kv)) throw new ItemRejection(`${path}[${i}]: expected a KeyValue object, got ${describe(kv)}`);
    const key = str(kv.key, `${path}[${i}].key`);
    setAttribute(target, key, anyValue(kv.value, `${path}[${i}].value`, depth));
  }
}

function attributes(v: Json, path: string): OtlpAttributes {
  const out: OtlpAttributes = {};
  attributesInto(out, v, path, 0);
  return out;
}

function decodeResource(v: Json, path: string): OtlpResource {
  if (v === undefined || v === null) return { attributes: {} };
  if (!isObject(v)) throw new ItemRejection(`${path}: expected an object, got ${describe(v)}`);
  return { attributes: attributes(v.attributes, `${path}.attributes`) };
}

function decodeScope(v: Json, path: string): OtlpScope {
  if (v === undefined || v === null) return { name: '', version: '' };
  if (!isObject(v)) throw new ItemRejection(`${path}: expected an object, got ${describe(v)}`);
  return { name: str(v.name, `${path}.name`), version: str(v.version, `${path}.version`) };
}

function decodeSpan(v: Json, path: string, resource: OtlpResource, scope: OtlpScope): OtlpSpan {
  if (!isObject(v)) throw new ItemRejection(`${path}: expected a Span object, got ${describe(v)}`);
  const traceId = hexId(v.traceId, TRACE_ID_BYTES, `${path}.traceId`);
  if (traceId === '' || isZeroTraceId(traceId)) throw new ItemRejection(`${path}.traceId: missing or all zero`);
  const spanId = hexId(v.spanId, SPAN_ID_BYTES, `${path}.spanId`);
  if (spanId === '' || isZeroSpanId(spanId)) throw new ItemRejection(`${path}.spanId: missing or all zero`);
  const parent = hexId(v.parentSpanId, SPAN_ID_BYTES, `${path}.parentSpanId`);
  const events: OtlpSpanEvent[] = [];
  const rawEvents = v.events;
  if (rawEvents !== undefined && rawEvents !== null) {
    if (!Array.isArray(rawEvents)) throw new ItemRejection(`${path}.events: expected an array, got ${describe(rawEvents)}`);
    for (let i = 0; i < rawEvents.length; i++) {
      const ev = rawEvents[i];
      const p = `${path}.events[${i}]`;
      if (!isObject(ev)) throw new ItemRejection(`${p}: expected an object, got ${describe(ev)}`);
      events.push({
        name: str(ev.name, `${p}.name`),
        timeUnixNano: uint64(ev.timeUnixNano, `${p}.timeUnixNano`),
        attributes: attributes(ev.attributes, `${p}.attributes`),
      });
    }
  }
  const status = v.status;
  if (status !== undefined && status !== null && !isObject(status)) {
    throw new ItemRejection(`${path}.status: expected an object, got ${describe(status)}`);
  }
  return {
    resource,
    scope,
    traceId,
    spanId,
    parentSpanId: parent === '' || isZeroSpanId(parent) ? null : parent,
    name: str(v.name, `${path}.name`),
    kind: enumValue(v.kind, SPAN_KINDS, `${path}.kind`),
    startTimeUnixNano: uint64(v.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endTimeUnixNano: uint64(v.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: attributes(v.attributes, `${path}.attributes`),
    events,
    status: status
      ? { code: enumValue(status.code, STATUS_CODES, `${path}.status.code`), message: str(status.message, `${path}.status.message`) }
      : { code: 0, message: '' },
  };
}

function decodeLogRecord(v: Json, path: string, resource: OtlpResource, scope: OtlpScope): OtlpLogRecord {
  if (!isObject(v)) throw new ItemRejection(`${path}: expected a LogRecord object, got ${describe(v)}`);
  const traceId = hexId(v.traceId, TRACE_ID_BYTES, `${path}.traceId`);
  const spanId = hexId(v.spanId, SPAN_ID_BYTES, `${path}.spanId`);
  const attrs = attributes(v.attributes, `${path}.attributes`);
  let eventName: string | null = str(v.eventName, `${path}.eventName`) || null;
  if (eventName === null) {
    const fromAttr = attrs[ATTR_EVENT_NAME];
    if (typeof fromAttr === 'string' && fromAttr !== '') eventName = fromAttr;
  }
  const flags = v.flags === undefined || v.flags === null ? 0 : Number(uint64(v.flags, `${path}.flags`) & 0xffffffffn);
  return {
    resource,
    scope,
    timeUnixNano: uint64(v.timeUnixNano, `${path}.timeUnixNano`),
    observedTimeUnixNano: uint64(v.observedTimeUnixNano, `${path}.observedTimeUnixNano`),
    severityNumber: severity(v.severityNumber, `${path}.severityNumber`),
    severityText: str(v.severityText, `${path}.severityText`),
    body: anyValue(v.body, `${path}.body`, 0),
    attributes: attrs,
    eventName,
    traceId: traceId === '' || isZeroTraceId(traceId) ? null : traceId,
    spanId: spanId === '' || isZeroSpanId(spanId) ? null : spanId,
    flags,
  };
}

type ItemDecoder<T> = (v: Json, path: string, resource: OtlpResource, scope: OtlpScope) => T;

function decodeRequest<T>(
  body: Uint8Array,
  keys: { resource: string; scope: string; items: string },
  decodeItem: ItemDecoder<T>,
  out: T[],
  tally: RejectionTally,
): void {
  const request = object(parse(body), 'request body');
  const resources = list(request, keys.resource, '');
  for (let ri = 0; ri < resources.length; ri++) {
    const rPath = `${keys.resource}[${ri}]`;
    const res = object(resources[ri], rPath);
    const scopes = list(res, keys.scope, `${rPath}.`);
    let resource: OtlpResource;
    try {
      resource = decodeResource(res.resource, `${rPath}.resource`);
    } catch (err) {
      if (!(err instanceof ItemRejection)) throw err;
      let n = 0;
      for (let si = 0; si < scopes.length; si++) {
        const s = scopes[si];
        if (isObject(s) && Array.isArray(s[keys.items])) n += (s[keys.items] as Json[]).length;
      }
      tally.add(err.reason, n);
      continue;
    }
    for (let si = 0; si < scopes.length; si++) {
      const sPath = `${rPath}.${keys.scope}[${si}]`;
      const sc = object(scopes[si], sPath);
      const items = list(sc, keys.items, `${sPath}.`);
      let scope: OtlpScope;
      try {
        scope = decodeScope(sc.scope, `${sPath}.scope`);
      } catch (err) {
        if (!(err instanceof ItemRejection)) throw err;
        tally.add(err.reason, items.length);
        continue;
      }
      for (let i = 0; i < items.length; i++) {
        try {
          out.push(decodeItem(items[i], `${sPath}.${keys.items}[${i}]`, resource, scope));
        } catch (err) {
          if (!(err instanceof ItemRejection)) throw err;
          tally.add(err.reason);
        }
      }
    }
  }
}

export function decodeTracesJson(body: Uint8Array): DecodedTraces {
  const spans: OtlpSpan[] = [];
  const tally = new RejectionTally();
  decodeRequest(body, { resource: 'resourceSpans', scope: 'scopeSpans', items: 'spans' }, decodeSpan, spans, tally);
  return { spans, rejected: tally.count, rejectReason: tally.reason };
}

export function decodeLogsJson(body: Uint8Array): DecodedLogs {
  const logs: OtlpLogRecord[] = [];
  const tally = new RejectionTally();
  decodeRequest(body, { resource: 'resourceLogs', scope: 'scopeLogs', items: 'logRecords' }, decodeLogRecord, logs, tally);
  return { logs, rejected: tally.count, rejectReason: tally.reason };
}
