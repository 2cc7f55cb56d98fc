'use strict';
/**
 * Demo device, not for production: shifts this process's clock so it believes it is
 * EXAMPLE_FIXED_CLOCK (an ISO 8601 instant), then lets time run on from there.
 *
 *   EXAMPLE_FIXED_CLOCK=2026-11-21T03:00:00Z node --require ./fixed-clock.js --require @mcptrail/instrumentation-mcp/register server.js
 *
 * The "off-hours" scenario uses it to run the destructive tool "at 03:00" without waiting for
 * the night. It shifts `Date` (log record timestamps) and `performance.timeOrigin` (OpenTelemetry
 * span times are `performance.timeOrigin + performance.now()`), so spans and audit records agree.
 * Load it before the instrumentation.
 */
const target = Date.parse(process.env.EXAMPLE_FIXED_CLOCK ?? '');
if (Number.isNaN(target)) {
  process.stderr.write('fixed-clock: EXAMPLE_FIXED_CLOCK is not an ISO 8601 date; clock left alone\n');
} else {
  const RealDate = Date;
  const offset = target - RealDate.now();
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
  Object.defineProperty(performance, 'timeOrigin', { value: performance.timeOrigin + offset, configurable: true });
  process.stderr.write(`fixed-clock: this process now runs at ${new ShiftedDate().toISOString()} (demo device)\n`);
}
