/** Hour of week (0 = Sunday 00:00 … 167) of an instant, in a given IANA time zone. */
import { LruMap } from './lru';

const DAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
/** Offsets can be :30 or :45, so cache per quarter hour. */
const SLOT_MS = 900_000;

export function hourOfWeekIn(timezone: string): (timeMs: number) => number {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') {
    return (ms) => {
      const d = new Date(ms);
      return d.getUTCDay() * 24 + d.getUTCHours();
    };
  }
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
  const cache = new LruMap<number, number>(4_096);
  return (ms) => {
    const slot = Math.floor(ms / SLOT_MS);
    const hit = cache.get(slot);
    if (hit !== undefined) return hit;
    let day = 0;
    let hour = 0;
    for (const part of fmt.formatToParts(new Date(slot * SLOT_MS))) {
      if (part.type === 'weekday') day = DAYS[part.value] ?? 0;
      else if (part.type === 'hour') hour = Number(part.value) % 24;
    }
    const how = day * 24 + hour;
    cache.set(slot, how);
    return how;
  };
}
