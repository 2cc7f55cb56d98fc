/** Hour of week (0 = Sunday 00:00 … 167) and local calendar day of an instant, in a given IANA time zone. */
import { LruMap } from './lru';

const DAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
/** Offsets can be :30 or :45, so cache per quarter hour. */
const SLOT_MS = 900_000;
const DAY_MS = 86_400_000;

export interface LocalTime {
  /** 0..167, day-of-week (0 = Sunday) × 24 + hour. */
  hourOfWeek: number;
  /** Days since 1970-01-01 of the local calendar date (distinct days of activity). */
  day: number;
  /** 0 = weekday, 1 = weekend day or configured holiday (the day profile's two kinds of day). */
  dayType: 0 | 1;
}

const typeOf = (hourOfWeek: number, day: number, holidays: ReadonlySet<number>): 0 | 1 => {
  const dow = Math.floor(hourOfWeek / 24);
  return dow === 0 || dow === 6 || holidays.has(day) ? 1 : 0;
};

/** `YYYY-MM-DD` → the local day number LocalTime.day uses. */
export function dayNumberOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** `holidays`: local dates (`YYYY-MM-DD`) that count as weekend days. */
export function localTimeIn(timezone: string, holidays: readonly string[] = []): (timeMs: number) => LocalTime {
  const off = new Set(holidays.map(dayNumberOf));
  if (timezone === 'UTC' || timezone === 'Etc/UTC') {
    return (ms) => {
      const d = new Date(ms);
      const hourOfWeek = d.getUTCDay() * 24 + d.getUTCHours();
      const day = Math.floor(ms / DAY_MS);
      return { hourOfWeek, day, dayType: typeOf(hourOfWeek, day, off) };
    };
  }
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    hour: 'numeric',
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  });
  const cache = new LruMap<number, LocalTime>(4_096);
  return (ms) => {
    const slot = Math.floor(ms / SLOT_MS);
    const hit = cache.get(slot);
    if (hit !== undefined) return hit;
    let weekday = 0;
    let hour = 0;
    let year = 1970;
    let month = 1;
    let date = 1;
    for (const part of fmt.formatToParts(new Date(slot * SLOT_MS))) {
      if (part.type === 'weekday') weekday = DAYS[part.value] ?? 0;
      else if (part.type === 'hour') hour = Number(part.value) % 24;
      else if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') date = Number(part.value);
    }
    const hourOfWeek = weekday * 24 + hour;
    const day = Math.floor(Date.UTC(year, month - 1, date) / DAY_MS);
    const local: LocalTime = { hourOfWeek, day, dayType: typeOf(hourOfWeek, day, off) };
    cache.set(slot, local);
    return local;
  };
}

export function hourOfWeekIn(timezone: string): (timeMs: number) => number {
  const local = localTimeIn(timezone);
  return (ms) => local(ms).hourOfWeek;
}
