/**
 * Field numbers of the OTLP messages the fast protobuf decoder reads, as declared in
 * proto/opentelemetry/proto/**. A test checks them against the vendored protos.
 */
export const EXPORT_REQUEST = { resource: 1 } as const; // resource_spans / resource_logs
export const RESOURCE_ITEMS = { resource: 1, scopeItems: 2 } as const; // ResourceSpans / ResourceLogs
export const SCOPE_ITEMS = { scope: 1, items: 2 } as const; // ScopeSpans.spans / ScopeLogs.log_records
export const RESOURCE = { attributes: 1 } as const;
export const SCOPE = { name: 1, version: 2 } as const;
export const KEY_VALUE = { key: 1, value: 2 } as const;
export const ANY_VALUE = {
  stringValue: 1,
  boolValue: 2,
  intValue: 3,
  doubleValue: 4,
  arrayValue: 5,
  kvlistValue: 6,
  bytesValue: 7,
} as const;
export const VALUES_LIST = { values: 1 } as const; // ArrayValue / KeyValueList
export const SPAN = {
  traceId: 1,
  spanId: 2,
  parentSpanId: 4,
  name: 5,
  kind: 6,
  startTimeUnixNano: 7,
  endTimeUnixNano: 8,
  attributes: 9,
  events: 11,
  status: 15,
} as const;
export const SPAN_EVENT = { timeUnixNano: 1, name: 2, attributes: 3 } as const;
export const SPAN_STATUS = { message: 2, code: 3 } as const;
export const LOG_RECORD = {
  timeUnixNano: 1,
  severityNumber: 2,
  severityText: 3,
  body: 5,
  attributes: 6,
  flags: 8,
  traceId: 9,
  spanId: 10,
  observedTimeUnixNano: 11,
  eventName: 12,
} as const;
