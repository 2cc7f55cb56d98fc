import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { otlpType } from '../../src/otlp/schema';

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * /v1/metrics is accepted and dropped, but the vendored metrics.proto also serves the gRPC
 * MetricsService: decode what the OpenTelemetry JS serializer writes and check every kind of metric.
 */
describe('vendored metrics.proto', () => {
  it('decodes sum, gauge, histogram and exponential histogram as the OTel JS serializer encodes them', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('m', '1.0.0');
    meter.createCounter('calls').add(3, { tool: 'get_weather' });
    meter.createGauge('temp').record(21.5);
    meter.createHistogram('duration', { advice: { explicitBucketBoundaries: [1, 10] } }).record(5);
    meter.createHistogram('exp').record(4);
    const { resourceMetrics } = await reader.collect();
    const body = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
    const type = otlpType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
    // biome-ignore lint/suspicious/noExplicitAny: a decoded protobuf object; the assertions below check its shape
    type Loose = Record<string, any>;
    const decoded = type.toObject(type.decode(body!), { longs: Number, enums: Number }) as {
      resourceMetrics: Array<{ scopeMetrics: Array<{ scope: { name: string }; metrics: Loose[] }> }>;
    };
    const scope = decoded.resourceMetrics[0]!.scopeMetrics[0]!;
    expect(scope.scope.name).toBe('m');
    const byName = Object.fromEntries(scope.metrics.map((m) => [m.name, m]));
    expect(byName.calls.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 });
    expect(byName.calls.sum.dataPoints[0]).toMatchObject({ asDouble: 3, attributes: [{ key: 'tool', value: { stringValue: 'get_weather' } }] });
    expect(byName.temp.gauge.dataPoints[0].asDouble).toBe(21.5);
    expect(byName.duration.histogram.dataPoints[0]).toMatchObject({ count: 1, sum: 5, explicitBounds: [1, 10], bucketCounts: [0, 1, 0] });
    expect(byName.exp.exponentialHistogram.dataPoints[0]).toMatchObject({ count: 1, sum: 4 });
    expect(byName.exp.exponentialHistogram.dataPoints[0].positive.bucketCounts).toEqual([1]);
    await provider.shutdown();
  });
});
