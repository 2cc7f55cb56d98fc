/**
 * Span and log record processors that scrub all telemetry of a process, not only ours.
 * Structural types only: this package has no runtime dependency on @opentelemetry/*.
 */
import { ATTR_MCPTRAIL_REDACTION_COUNT, ATTR_MCPTRAIL_REDACTION_TYPES } from '@mcptrail/conventions';
import { createRedactor } from './redactor';
import type { Redactor, RedactorOptions } from './types';

type Attributes = Record<string, unknown>;

/** The parts of an sdk-trace-base 2.x Span that onEnding may still change. */
interface MutableSpanLike {
  name?: string;
  attributes?: Attributes;
  events?: { attributes?: Attributes }[];
  links?: { attributes?: Attributes }[];
  status?: { code?: number; message?: string };
  updateName?(name: string): unknown;
}

/** The parts of an sdk-logs SdkLogRecord a processor may change during onEmit. */
interface MutableLogRecordLike {
  attributes?: Attributes;
  body?: unknown;
  setAttribute?(key: string, value: unknown): unknown;
}

function toRedactor(arg: Redactor | RedactorOptions | undefined): Redactor {
  if (arg && typeof (arg as Redactor).redactAttributes === 'function') return arg as Redactor;
  return createRedactor(arg as RedactorOptions | undefined);
}

interface Changes {
  count: number;
  types: Set<string>;
}

/** Scrubs an attribute map in place (the SDK holds the object), returning what changed. */
function scrubAttributes(redactor: Redactor, attrs: Attributes | undefined, changes: Changes): void {
  if (!attrs || typeof attrs !== 'object') return;
  const r = redactor.redactAttributes(attrs);
  if (r.count === 0 && !r.truncated) return;
  for (const key of Object.keys(attrs)) {
    if (!Object.hasOwn(r.value, key)) delete attrs[key];
  }
  for (const [key, value] of Object.entries(r.value)) attrs[key] = value;
  changes.count += r.count;
  for (const t of r.types) changes.types.add(t);
}

/** Adds to counts a previous redactor (the instrumentation's own) may already have recorded. */
function report(attrs: Attributes, changes: Changes): void {
  if (changes.count === 0) return;
  const prevCount = attrs[ATTR_MCPTRAIL_REDACTION_COUNT];
  const prevTypes = attrs[ATTR_MCPTRAIL_REDACTION_TYPES];
  const types = new Set(changes.types);
  if (Array.isArray(prevTypes)) for (const t of prevTypes) if (typeof t === 'string') types.add(t);
  attrs[ATTR_MCPTRAIL_REDACTION_COUNT] = (typeof prevCount === 'number' ? prevCount : 0) + changes.count;
  attrs[ATTR_MCPTRAIL_REDACTION_TYPES] = [...types].sort();
}

/**
 * A SpanProcessor that scrubs span names, attributes, event attributes (including
 * `exception.message` / `exception.stacktrace`), link attributes and the status message.
 *
 * It works in `onEnding`, which sdk-trace-base 2.x calls on every processor while the span is
 * still mutable and before any `onEnd`, so its position among processors does not matter there.
 * On SDKs without `onEnding` it falls back to `onEnd`; then register it before the exporting
 * processor.
 */
export class RedactingSpanProcessor {
  private readonly redactor: Redactor;
  private readonly seen = new WeakSet<object>();

  constructor(redactorOrOptions?: Redactor | RedactorOptions) {
    this.redactor = toRedactor(redactorOrOptions);
  }

  onStart(_span: unknown, _parentContext: unknown): void {}

  onEnding(span: unknown): void {
    if (!span || typeof span !== 'object') return;
    this.seen.add(span);
    this.scrub(span as MutableSpanLike);
  }

  onEnd(span: unknown): void {
    if (!span || typeof span !== 'object' || this.seen.has(span)) return;
    this.scrub(span as MutableSpanLike);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private scrub(span: MutableSpanLike): void {
    try {
      const changes: Changes = { count: 0, types: new Set() };
      scrubAttributes(this.redactor, span.attributes, changes);
      for (const event of span.events ?? []) scrubAttributes(this.redactor, event.attributes, changes);
      for (const link of span.links ?? []) scrubAttributes(this.redactor, link.attributes, changes);
      if (span.status && typeof span.status.message === 'string' && span.status.message !== '') {
        const r = this.redactor.redactText(span.status.message);
        if (r.count > 0) {
          span.status.message = r.value;
          changes.count += r.count;
          for (const t of r.types) changes.types.add(t);
        }
      }
      if (typeof span.name === 'string') {
        const r = this.redactor.redactText(span.name);
        if (r.count > 0) {
          if (typeof span.updateName === 'function') span.updateName(r.value);
          if (span.name !== r.value) (span as { name: string }).name = r.value;
          changes.count += r.count;
          for (const t of r.types) changes.types.add(t);
        }
      }
      if (span.attributes) report(span.attributes, changes);
    } catch {
      // A processor must never break the host's span pipeline.
    }
  }
}

/**
 * A LogRecordProcessor that scrubs attributes and body in `onEmit`. Processors see a record in
 * registration order, so register it BEFORE the exporting processor (Batch/Simple).
 */
export class RedactingLogRecordProcessor {
  private readonly redactor: Redactor;

  constructor(redactorOrOptions?: Redactor | RedactorOptions) {
    this.redactor = toRedactor(redactorOrOptions);
  }

  onEmit(logRecord: unknown, _context?: unknown): void {
    if (!logRecord || typeof logRecord !== 'object') return;
    const record = logRecord as MutableLogRecordLike;
    try {
      const changes: Changes = { count: 0, types: new Set() };
      scrubAttributes(this.redactor, record.attributes, changes);
      const body = record.body;
      if (typeof body === 'string') {
        const r = this.redactor.redactText(body);
        if (r.count > 0 || r.truncated) record.body = r.value;
        changes.count += r.count;
        for (const t of r.types) changes.types.add(t);
      } else if (body !== null && typeof body === 'object') {
        const r = this.redactor.redact(body);
        if (r.count > 0 || r.truncated) record.body = r.value;
        changes.count += r.count;
        for (const t of r.types) changes.types.add(t);
      }
      if (record.attributes) report(record.attributes, changes);
    } catch {
      // A processor must never break the host's log pipeline.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
