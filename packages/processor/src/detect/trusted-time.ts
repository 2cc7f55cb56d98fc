/**
 * The time detection runs on. A record's `time` is the sender's clock; `received_time`
 * is the receiver's. Within the receiver's bounded skew (see audit/normalize) the
 * sender's time is kept (it orders calls more finely than batched arrival does); a
 * record flagged `clock_anomaly` is placed at its receive time, so a forged date can
 * neither switch off a window nor rewrite an hour-of-week profile. Records sealed
 * before `received_time` existed fall back to `time`.
 */
import type { AuditRecord } from '@mcptrail/conventions';

export function trustedTimeMs(rec: AuditRecord): number {
  const sent = Date.parse(rec.time);
  const received = typeof rec.received_time === 'string' ? Date.parse(rec.received_time) : Number.NaN;
  if (Number.isNaN(received)) return sent;
  if (rec.clock_anomaly || Number.isNaN(sent)) return received;
  return sent;
}
