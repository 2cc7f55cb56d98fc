import {
  type Attributes,
  type Counter,
  createNoopMeter,
  diag,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_MCPTRAIL_TELEMETRY_SIGNAL, METRIC_MCPTRAIL_TELEMETRY_DROPPED } from '@mcptrail/conventions';

export type TelemetrySignal = 'spans' | 'logs';

/** What the batch processors report on their self-observability counter when the queue is full. */
const QUEUE_FULL = 'queue_full';

/**
 * Counts spans and log records the batch processors dropped because their
 * queue was full. The processors only report drops through their
 * self-observability meter, so each one gets a meter provider whose counters
 * feed this count; other self-observability instruments are no-ops.
 */
export class DropCounter {
  private readonly counts: Record<TelemetrySignal, number> = { spans: 0, logs: 0 };
  private counter: Counter | undefined;
  private warned = false;

  /** Pass as `selfObsMeterProvider` of a BatchSpanProcessor / BatchLogRecordProcessor. */
  meterProviderFor(signal: TelemetrySignal): MeterProvider {
    return { getMeter: () => this.meterFor(signal) };
  }

  /** Start exporting `mcptrail.telemetry.dropped` once the global MeterProvider is set. */
  bindMetrics(meterProvider: MeterProvider = metrics.getMeterProvider()): void {
    this.counter = meterProvider.getMeter('@mcptrail/instrumentation-mcp').createCounter(METRIC_MCPTRAIL_TELEMETRY_DROPPED, {
      unit: '{item}',
      description: 'Spans or log records dropped by the export queue (queue full).',
    });
  }

  record(signal: TelemetrySignal, count: number): void {
    this.counts[signal] += count;
    this.counter?.add(count, { [ATTR_MCPTRAIL_TELEMETRY_SIGNAL]: signal });
    if (!this.warned) {
      this.warned = true;
      diag.warn(`export queue full: dropping ${signal}; raise MCPTRAIL_MAX_QUEUE_SIZE (totals reported at exit)`);
    }
  }

  snapshot(): Readonly<Record<TelemetrySignal, number>> {
    return { ...this.counts };
  }

  /** One diag warning with the totals, if anything was lost. */
  reportTotals(): void {
    const { spans, logs } = this.counts;
    if (spans + logs > 0) diag.warn(`export queue full: dropped ${spans} spans and ${logs} log records in total`);
  }

  private meterFor(signal: TelemetrySignal): Meter {
    const noop = createNoopMeter();
    const meter = Object.create(noop) as Meter;
    meter.createCounter = (): Counter => ({
      add: (value: number, attributes?: Attributes) => {
        if (attributes?.[ATTR_ERROR_TYPE] === QUEUE_FULL) this.record(signal, value);
      },
    });
    return meter;
  }
}
