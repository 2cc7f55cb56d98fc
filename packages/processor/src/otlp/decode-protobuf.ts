import { ATTR_EVENT_NAME } from '@mcptrail/conventions';
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
import {
  ANY_VALUE,
  EXPORT_REQUEST,
  KEY_VALUE,
  LOG_RECORD,
  RESOURCE,
  RESOURCE_ITEMS,
  SCOPE,
  SCOPE_ITEMS,
  SPAN,
  SPAN_EVENT,
  SPAN_STATUS,
  VALUES_LIST,
} from './wire-fields';
import { WIRE, WireReader } from './wire-reader';

/** A byte range of the body: [start, end). */
type Range = [number, number];

type ItemDecoder<T> = (r: WireReader, end: number, resource: OtlpResource, scope: OtlpScope) => T;

/** JSON names of the request's levels, so rejection reasons name the item the same way in both formats. */
interface LevelNames {
  resource: string;
  scope: string;
  items: string;
}
const TRACE_LEVELS: LevelNames = { resource: 'resourceSpans', scope: 'scopeSpans', items: 'spans' };
const LOG_LEVELS: LevelNames = { resource: 'resourceLogs', scope: 'scopeLogs', items: 'logRecords' };

function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Walks Export{Trace,Logs}ServiceRequest → Resource* → Scope* → item. Each Resource* and
 * Scope* message is read twice: first to find its resource/scope, then to decode its items,
 * so a resource or scope that comes after its items on the wire (legal protobuf) still applies.
 */
function decodeRequest<T>(
  body: Uint8Array,
  names: LevelNames,
  decodeItem: ItemDecoder<T>,
  items: T[],
  tally: RejectionTally,
): void {
  const r = new WireReader(toBuffer(body));
  const end = r.buf.length;
  let index = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === EXPORT_REQUEST.resource) {
      r.expect(tag & 7, WIRE.LEN, names.resource);
      const e = r.len(end);
      decodeResourceItems(r, e, names, `${names.resource}[${index++}]`, decodeItem, items, tally);
      r.pos = e;
    } else r.skip(tag & 7, end);
  }
}

/**
 * Finds the last occurrence of a length-delimited field among a message's fields without
 * decoding anything (first pass), checking the other listed fields' wire types on the way.
 */
function findField(r: WireReader, start: number, end: number, field: number, label: string, other: number, otherLabel: string): Range | null {
  let found: Range | null = null;
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    const f = tag >>> 3;
    if (f === field || f === other) {
      r.expect(tag & 7, WIRE.LEN, f === field ? label : otherLabel);
      const e = r.len(end);
      if (f === field) found = [r.pos, e];
      r.pos = e;
    } else r.skip(tag & 7, end);
  }
  return found;
}

function decodeResourceItems<T>(
  r: WireReader,
  end: number,
  names: LevelNames,
  path: string,
  decodeItem: ItemDecoder<T>,
  items: T[],
  tally: RejectionTally,
): void {
  const start = r.pos;
  const resourceRange = findField(r, start, end, RESOURCE_ITEMS.resource, `${path}.resource`, RESOURCE_ITEMS.scopeItems, `${path}.${names.scope}`);
  let resource: OtlpResource | null = null;
  let rejection: ItemRejection | null = null;
  try {
    resource = resourceRange ? decodeResource(r, resourceRange) : { attributes: {} };
  } catch (err) {
    if (!(err instanceof ItemRejection)) throw err;
    rejection = err;
  }
  // Second pass: every scope, in order (no list of ranges: a body of tiny items must not allocate per item here).
  let n = 0;
  let index = 0;
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === RESOURCE_ITEMS.scopeItems) {
      const e = r.len(end);
      if (resource) decodeScopeItems(r, e, `${path}.${names.scope}[${index}].${names.items}`, resource, decodeItem, items, tally);
      else n += countItems(r, [r.pos, e]);
      index++;
      r.pos = e;
    } else r.skip(tag & 7, end);
  }
  if (rejection) tally.add(`${path}.resource.${rejection.reason}`, n);
}

function decodeScopeItems<T>(
  r: WireReader,
  end: number,
  itemsPath: string,
  resource: OtlpResource,
  decodeItem: ItemDecoder<T>,
  items: T[],
  tally: RejectionTally,
): void {
  const start = r.pos;
  const scopeRange = findField(r, start, end, SCOPE_ITEMS.scope, 'scope', SCOPE_ITEMS.items, itemsPath);
  const scope = scopeRange ? decodeScope(r, scopeRange) : { name: '', version: '' };
  let index = 0;
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 !== SCOPE_ITEMS.items) {
      r.skip(tag & 7, end);
      continue;
    }
    const e = r.len(end);
    try {
      items.push(decodeItem(r, e, resource, scope));
    } catch (err) {
      if (!(err instanceof ItemRejection)) throw err;
      tally.add(`${itemsPath}[${index}].${err.reason}`);
    }
    index++;
    r.pos = e;
  }
}

/** Counts the items of the scope messages of a rejected resource, so rejected_* stays accurate. */
function countItems(r: WireReader, [start, end]: Range): number {
  let n = 0;
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === SCOPE_ITEMS.items) n++;
    r.skip(tag & 7, end);
  }
  return n;
}

function decodeResource(r: WireReader, [start, end]: Range): OtlpResource {
  r.pos = start;
  const attributes: OtlpAttributes = {};
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === RESOURCE.attributes) {
      r.expect(tag & 7, WIRE.LEN, 'attributes');
      decodeKeyValue(r, r.len(end), attributes, 0);
    } else r.skip(tag & 7, end);
  }
  return { attributes };
}

function decodeScope(r: WireReader, [start, end]: Range): OtlpScope {
  r.pos = start;
  let name = '';
  let version = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === SCOPE.name) {
      r.expect(tag & 7, WIRE.LEN, 'scope.name');
      name = r.name(end);
    } else if (field === SCOPE.version) {
      r.expect(tag & 7, WIRE.LEN, 'scope.version');
      version = r.name(end);
    } else r.skip(tag & 7, end);
  }
  return { name, version };
}

/**
 * Decodes one KeyValue ending at `end` into `target`; leaves the reader at `end`.
 * `label` (nested values) names the top-level attribute in rejection reasons.
 */
function decodeKeyValue(r: WireReader, end: number, target: OtlpAttributes, depth: number, label?: string): void {
  let key = '';
  let value: OtlpValue = null;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === KEY_VALUE.key) {
      r.expect(tag & 7, WIRE.LEN, 'KeyValue.key');
      key = r.name(end);
    } else if (field === KEY_VALUE.value) {
      r.expect(tag & 7, WIRE.LEN, 'KeyValue.value');
      valueStart = r.pos;
      valueEnd = r.len(end);
      r.pos = valueEnd;
    } else r.skip(tag & 7, end);
  }
  if (valueEnd >= 0) {
    // Decoded after the loop so the key is known even when the value precedes it on the wire.
    const after = r.pos;
    r.pos = valueStart;
    value = decodeAnyValue(r, r.len(end), depth, label ?? `attributes.${key}`);
    r.pos = after;
  }
  setAttribute(target, key, value);
}

/** `label` names the field for rejection reasons: `attributes.<key>` or `body`. */
function decodeAnyValue(r: WireReader, end: number, depth: number, label: string): OtlpValue {
  let value: OtlpValue = null;
  while (r.pos < end) {
    const tag = r.tag(end);
    const wt = tag & 7;
    switch (tag >>> 3) {
      case ANY_VALUE.stringValue:
        r.expect(wt, WIRE.LEN, 'AnyValue.string_value');
        value = r.string(end);
        break;
      case ANY_VALUE.boolValue:
        r.expect(wt, WIRE.VARINT, 'AnyValue.bool_value');
        value = r.bool(end);
        break;
      case ANY_VALUE.intValue:
        r.expect(wt, WIRE.VARINT, 'AnyValue.int_value');
        value = r.int64(end);
        break;
      case ANY_VALUE.doubleValue:
        r.expect(wt, WIRE.I64, 'AnyValue.double_value');
        value = r.double(end);
        break;
      case ANY_VALUE.arrayValue: {
        r.expect(wt, WIRE.LEN, 'AnyValue.array_value');
        const e = r.len(end);
        if (depth + 1 > MAX_ANY_VALUE_DEPTH) throw tooDeep(label);
        const arr: OtlpValue[] = [];
        while (r.pos < e) {
          const t = r.tag(e);
          if (t >>> 3 === VALUES_LIST.values) {
            r.expect(t & 7, WIRE.LEN, 'ArrayValue.values');
            arr.push(decodeAnyValue(r, r.len(e), depth + 1, label));
          } else r.skip(t & 7, e);
        }
        value = arr;
        break;
      }
      case ANY_VALUE.kvlistValue: {
        r.expect(wt, WIRE.LEN, 'AnyValue.kvlist_value');
        const e = r.len(end);
        if (depth + 1 > MAX_ANY_VALUE_DEPTH) throw tooDeep(label);
        const obj: { [k: string]: OtlpValue } = {};
        while (r.pos < e) {
          const t = r.tag(e);
          if (t >>> 3 === VALUES_LIST.values) {
            r.expect(t & 7, WIRE.LEN, 'KeyValueList.values');
            decodeKeyValue(r, r.len(e), obj, depth + 1, label);
          } else r.skip(t & 7, e);
        }
        value = obj;
        break;
      }
      case ANY_VALUE.bytesValue: {
        r.expect(wt, WIRE.LEN, 'AnyValue.bytes_value');
        const e = r.len(end);
        value = new Uint8Array(r.buf.subarray(r.pos, e)); // a copy: the body buffer must not stay referenced
        r.pos = e;
        break;
      }
      default:
        r.skip(wt, end);
    }
  }
  return value;
}

function tooDeep(label: string): ItemRejection {
  return new ItemRejection(`${label}: value nests deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
}

/** Reads an id field; returns lowercase hex, '' for an empty field. Wrong length → the item is rejected. */
function readId(r: WireReader, end: number, bytes: number, field: string): string {
  const e = r.len(end);
  const n = e - r.pos;
  if (n !== 0 && n !== bytes) throw new ItemRejection(`${field}: expected ${bytes} bytes, got ${n}`);
  const hex = r.buf.toString('hex', r.pos, e);
  r.pos = e;
  return hex;
}

function decodeSpan(r: WireReader, end: number, resource: OtlpResource, scope: OtlpScope): OtlpSpan {
  const span: OtlpSpan = {
    resource,
    scope,
    traceId: '',
    spanId: '',
    parentSpanId: null,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
  };
  // An ItemRejection thrown below leaves the reader mid-span; the caller moves it to the next item's range.
  while (r.pos < end) {
    const tag = r.tag(end);
    const wt = tag & 7;
    switch (tag >>> 3) {
        case SPAN.traceId:
          r.expect(wt, WIRE.LEN, 'Span.trace_id');
          span.traceId = readId(r, end, TRACE_ID_BYTES, 'traceId');
          break;
        case SPAN.spanId:
          r.expect(wt, WIRE.LEN, 'Span.span_id');
          span.spanId = readId(r, end, SPAN_ID_BYTES, 'spanId');
          break;
        case SPAN.parentSpanId: {
          r.expect(wt, WIRE.LEN, 'Span.parent_span_id');
          const hex = readId(r, end, SPAN_ID_BYTES, 'parentSpanId');
          span.parentSpanId = hex === '' || isZeroSpanId(hex) ? null : hex;
          break;
        }
        case SPAN.name:
          r.expect(wt, WIRE.LEN, 'Span.name');
          span.name = r.string(end);
          break;
        case SPAN.kind:
          r.expect(wt, WIRE.VARINT, 'Span.kind');
          span.kind = r.int32(end);
          break;
        case SPAN.startTimeUnixNano:
          r.expect(wt, WIRE.I64, 'Span.start_time_unix_nano');
          span.startTimeUnixNano = r.fixed64(end);
          break;
        case SPAN.endTimeUnixNano:
          r.expect(wt, WIRE.I64, 'Span.end_time_unix_nano');
          span.endTimeUnixNano = r.fixed64(end);
          break;
        case SPAN.attributes: {
          r.expect(wt, WIRE.LEN, 'Span.attributes');
          const e = r.len(end);
          decodeKeyValue(r, e, span.attributes, 0);
          break;
        }
        case SPAN.events: {
          r.expect(wt, WIRE.LEN, 'Span.events');
          const e = r.len(end);
          try {
            span.events.push(decodeSpanEvent(r, e));
          } catch (err) {
            if (err instanceof ItemRejection) throw new ItemRejection(`events[${span.events.length}].${err.reason}`);
            throw err;
          }
          break;
        }
        case SPAN.status: {
          r.expect(wt, WIRE.LEN, 'Span.status');
          decodeStatus(r, r.len(end), span.status);
          break;
        }
        default:
          r.skip(wt, end);
    }
  }
  if (span.traceId === '' || isZeroTraceId(span.traceId)) throw new ItemRejection('traceId: missing or all zero');
  if (span.spanId === '' || isZeroSpanId(span.spanId)) throw new ItemRejection('spanId: missing or all zero');
  return span;
}

function decodeSpanEvent(r: WireReader, end: number): OtlpSpanEvent {
  const event: OtlpSpanEvent = { name: '', timeUnixNano: 0n, attributes: {} };
  while (r.pos < end) {
    const tag = r.tag(end);
    const wt = tag & 7;
    switch (tag >>> 3) {
      case SPAN_EVENT.timeUnixNano:
        r.expect(wt, WIRE.I64, 'Event.time_unix_nano');
        event.timeUnixNano = r.fixed64(end);
        break;
      case SPAN_EVENT.name:
        r.expect(wt, WIRE.LEN, 'Event.name');
        event.name = r.string(end);
        break;
      case SPAN_EVENT.attributes:
        r.expect(wt, WIRE.LEN, 'Event.attributes');
        decodeKeyValue(r, r.len(end), event.attributes, 0);
        break;
      default:
        r.skip(wt, end);
    }
  }
  return event;
}

function decodeStatus(r: WireReader, end: number, status: { code: number; message: string }): void {
  while (r.pos < end) {
    const tag = r.tag(end);
    const wt = tag & 7;
    if (tag >>> 3 === SPAN_STATUS.message) {
      r.expect(wt, WIRE.LEN, 'Status.message');
      status.message = r.string(end);
    } else if (tag >>> 3 === SPAN_STATUS.code) {
      r.expect(wt, WIRE.VARINT, 'Status.code');
      status.code = r.int32(end);
    } else r.skip(wt, end);
  }
}

function decodeLogRecord(r: WireReader, end: number, resource: OtlpResource, scope: OtlpScope): OtlpLogRecord {
  const log: OtlpLogRecord = {
    resource,
    scope,
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    eventName: null,
    traceId: null,
    spanId: null,
    flags: 0,
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    const wt = tag & 7;
    switch (tag >>> 3) {
        case LOG_RECORD.timeUnixNano:
          r.expect(wt, WIRE.I64, 'LogRecord.time_unix_nano');
          log.timeUnixNano = r.fixed64(end);
          break;
        case LOG_RECORD.observedTimeUnixNano:
          r.expect(wt, WIRE.I64, 'LogRecord.observed_time_unix_nano');
          log.observedTimeUnixNano = r.fixed64(end);
          break;
        case LOG_RECORD.severityNumber:
          r.expect(wt, WIRE.VARINT, 'LogRecord.severity_number');
          log.severityNumber = r.int32(end);
          break;
        case LOG_RECORD.severityText:
          r.expect(wt, WIRE.LEN, 'LogRecord.severity_text');
          log.severityText = r.string(end);
          break;
        case LOG_RECORD.body: {
          r.expect(wt, WIRE.LEN, 'LogRecord.body');
          log.body = decodeAnyValue(r, r.len(end), 0, 'body');
          break;
        }
        case LOG_RECORD.attributes:
          r.expect(wt, WIRE.LEN, 'LogRecord.attributes');
          decodeKeyValue(r, r.len(end), log.attributes, 0);
          break;
        case LOG_RECORD.flags:
          r.expect(wt, WIRE.I32, 'LogRecord.flags');
          log.flags = r.fixed32(end);
          break;
        case LOG_RECORD.traceId: {
          r.expect(wt, WIRE.LEN, 'LogRecord.trace_id');
          const hex = readId(r, end, TRACE_ID_BYTES, 'traceId');
          log.traceId = hex === '' || isZeroTraceId(hex) ? null : hex;
          break;
        }
        case LOG_RECORD.spanId: {
          r.expect(wt, WIRE.LEN, 'LogRecord.span_id');
          const hex = readId(r, end, SPAN_ID_BYTES, 'spanId');
          log.spanId = hex === '' || isZeroSpanId(hex) ? null : hex;
          break;
        }
        case LOG_RECORD.eventName:
          r.expect(wt, WIRE.LEN, 'LogRecord.event_name');
          log.eventName = r.string(end) || null;
          break;
        default:
          r.skip(wt, end);
    }
  }
  if (log.eventName === null) {
    const fromAttr = log.attributes[ATTR_EVENT_NAME];
    if (typeof fromAttr === 'string' && fromAttr !== '') log.eventName = fromAttr;
  }
  return log;
}

export function decodeTracesProtobuf(body: Uint8Array): DecodedTraces {
  const spans: OtlpSpan[] = [];
  const tally = new RejectionTally();
  decodeRequest(body, TRACE_LEVELS, decodeSpan, spans, tally);
  return { spans, rejected: tally.count, rejectReason: tally.reason };
}

export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  const logs: OtlpLogRecord[] = [];
  const tally = new RejectionTally();
  decodeRequest(body, LOG_LEVELS, decodeLogRecord, logs, tally);
  return { logs, rejected: tally.count, rejectReason: tally.reason };
}
