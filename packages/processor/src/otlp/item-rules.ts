import type { OtlpAttributes, OtlpValue } from './types';

/**
 * Rules shared by the protobuf and JSON decoders for one span or log record:
 * what makes an item unusable (it is rejected alone, counted in partial_success)
 * as opposed to a body that cannot be decoded at all (the request gets 400).
 */

/** Deepest AnyValue nesting (kvlist/array levels) accepted; deeper items are rejected, never recursed into. */
export const MAX_ANY_VALUE_DEPTH = 64;

export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;
const ZERO_TRACE_ID = '0'.repeat(TRACE_ID_BYTES * 2);
const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2);

/** Thrown inside an item's decoder; caught at the item boundary and counted as one rejected item. */
export class ItemRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function isZeroTraceId(hex: string): boolean {
  return hex === ZERO_TRACE_ID;
}

export function isZeroSpanId(hex: string): boolean {
  return hex === ZERO_SPAN_ID;
}

/** Sets an attribute without letting a key such as `__proto__` reach the object's prototype. */
export function setAttribute(target: OtlpAttributes, key: string, value: OtlpValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Tallies rejected items and keeps the first reason (what OTLP partial_success.error_message carries). */
export class RejectionTally {
  count = 0;
  reason: string | null = null;

  add(reason: string, items = 1): void {
    if (items <= 0) return;
    this.count += items;
    if (this.reason === null) this.reason = reason;
  }
}
