import { describe, expect, it } from 'vitest';
import { otlpRoot } from '../../src/otlp/schema';
import * as F from '../../src/otlp/wire-fields';

/** The fast decoder hard-codes field numbers; they must be the vendored protos' numbers. */
describe('vendored OTLP protos', () => {
  const id = (type: string, field: string) => otlpRoot().lookupType(type).fields[field]?.id;
  const T = 'opentelemetry.proto.trace.v1.';
  const L = 'opentelemetry.proto.logs.v1.';
  const C = 'opentelemetry.proto.common.v1.';

  it('load by reflection, with the three collector services and google.rpc.Status', () => {
    const root = otlpRoot();
    for (const s of ['trace', 'logs', 'metrics']) {
      const name = s === 'trace' ? 'Trace' : s === 'logs' ? 'Logs' : 'Metrics';
      expect(root.lookupService(`opentelemetry.proto.collector.${s}.v1.${name}Service`).methods.Export).toBeDefined();
    }
    expect(id('google.rpc.Status', 'message')).toBe(2);
    expect(id('opentelemetry.proto.metrics.v1.HistogramDataPoint', 'explicitBounds')).toBe(7);
  });

  it('match the decoder field numbers', () => {
    expect(id('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', 'resourceSpans')).toBe(F.EXPORT_REQUEST.resource);
    expect(id('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest', 'resourceLogs')).toBe(F.EXPORT_REQUEST.resource);
    expect(id(`${T}ResourceSpans`, 'resource')).toBe(F.RESOURCE_ITEMS.resource);
    expect(id(`${T}ResourceSpans`, 'scopeSpans')).toBe(F.RESOURCE_ITEMS.scopeItems);
    expect(id(`${L}ResourceLogs`, 'resource')).toBe(F.RESOURCE_ITEMS.resource);
    expect(id(`${L}ResourceLogs`, 'scopeLogs')).toBe(F.RESOURCE_ITEMS.scopeItems);
    expect(id(`${T}ScopeSpans`, 'scope')).toBe(F.SCOPE_ITEMS.scope);
    expect(id(`${T}ScopeSpans`, 'spans')).toBe(F.SCOPE_ITEMS.items);
    expect(id(`${L}ScopeLogs`, 'scope')).toBe(F.SCOPE_ITEMS.scope);
    expect(id(`${L}ScopeLogs`, 'logRecords')).toBe(F.SCOPE_ITEMS.items);
    expect(id('opentelemetry.proto.resource.v1.Resource', 'attributes')).toBe(F.RESOURCE.attributes);
    for (const [k, v] of Object.entries(F.SCOPE)) expect(id(`${C}InstrumentationScope`, k)).toBe(v);
    for (const [k, v] of Object.entries(F.KEY_VALUE)) expect(id(`${C}KeyValue`, k)).toBe(v);
    for (const [k, v] of Object.entries(F.ANY_VALUE)) expect(id(`${C}AnyValue`, k)).toBe(v);
    expect(id(`${C}ArrayValue`, 'values')).toBe(F.VALUES_LIST.values);
    expect(id(`${C}KeyValueList`, 'values')).toBe(F.VALUES_LIST.values);
    for (const [k, v] of Object.entries(F.SPAN)) expect(id(`${T}Span`, k)).toBe(v);
    for (const [k, v] of Object.entries(F.SPAN_EVENT)) expect(id(`${T}Span.Event`, k)).toBe(v);
    for (const [k, v] of Object.entries(F.SPAN_STATUS)) expect(id(`${T}Status`, k)).toBe(v);
    for (const [k, v] of Object.entries(F.LOG_RECORD)) expect(id(`${L}LogRecord`, k)).toBe(v);
  });
});
