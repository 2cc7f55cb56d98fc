/**
 * One behavioural baseline (per service, service+tool, actor, actor+tool or
 * actor+service). Everything is updated from record time, never the wall clock, so
 * replaying the trail rebuilds the same numbers. Memory per entry is bounded
 * (~1 KB): fixed-size typed arrays, no per-call history.
 */
import type { LocalTime } from './hour-of-week';
import type { BaselineKind, BaselineView } from './types';

/** Call-rate buckets are one minute wide. */
export const RATE_BUCKET_MS = 60_000;
/** EWMA weight of a closed rate bucket. */
export const RATE_ALPHA = 0.05;
/** EWMA weight of one call in the error and denied ratios. */
export const RATIO_ALPHA = 0.02;
/**
 * Idle stretches count as at most this many empty minutes: the rate is the rate while
 * active, so the first busy minutes after a night or a weekend do not look like a spike.
 */
export const MAX_ZERO_BUCKETS = 15;
/**
 * Closed buckets wait this many minutes before they enter the EWMA, so a spike never
 * raises its own expectation: a rule window up to RATE_LAG_BUCKETS minutes long is
 * compared with the rate as it was before the window began.
 */
export const RATE_LAG_BUCKETS = 15;
/** Argument sizes kept for median/MAD: a ring of the most recent ones (deterministic on replay). */
export const ARG_SIZE_SAMPLES = 32;
const HOUR_BIN_CAP = 0xffff;
/** Transitions remembered per service (the set is a baseline, not a log). */
export const MAX_TRANSITIONS_PER_SERVICE = 4_096;

/** Day types of the day profile: index = day type × 24 + hour. */
export const WEEKDAY = 0;
export const WEEKEND = 1;
const DAY_BIN_CAP = 0xffff;

/** The warm-up `BaselineView.warm` reports; rules carry their own warm-up parameters. */
export const DEFAULT_WARMUP = { minObservations: 50, minAgeMs: 3_600_000 } as const;

export interface Warmup {
  minObservations: number;
  minAgeMs: number;
}

export interface RefWithTrace {
  chain_id: string;
  seq: number;
  trace_id: string | null;
}

/**
 * The fixed-size arrays of an entry share one ArrayBuffer (offsets in bytes, each aligned for
 * its element type): one backing store per entry instead of four, ≈ 0.7 KB less RSS per entry
 * (each backing store is a malloc block plus V8's tracking of it).
 */
const ARG_SIZES_AT = 0;
const DAY_HOURS_LAST_AT = ARG_SIZES_AT + ARG_SIZE_SAMPLES * 4;
const HOURS_AT = DAY_HOURS_LAST_AT + 48 * 4;
const DAY_HOURS_AT = HOURS_AT + 168 * 2;
const CELLS_BYTES = DAY_HOURS_AT + 48 * 2;

export class BaselineEntry {
  observations = 0;
  firstMs = 0;
  lastMs = 0;
  // Call rate: counts per minute bucket, EWMA over closed buckets (idle minutes count as 0).
  bucket = -1;
  bucketCount = 0;
  rateMean = 0;
  rateVar = 0;
  rateBuckets = 0;
  /** Closed bucket counts not yet folded (oldest first, at most RATE_LAG_BUCKETS). */
  ratePending: number[] = [];
  errorRatio = 0;
  deniedRatio = 0;
  private readonly cells = new ArrayBuffer(CELLS_BYTES);
  readonly argSizes = new Uint32Array(this.cells, ARG_SIZES_AT, ARG_SIZE_SAMPLES);
  argSamples = 0;
  readonly hours = new Uint16Array(this.cells, HOURS_AT, 168);
  hoursTotal = 0;
  /**
   * Day profile: per day type (weekday, weekend) × hour of day, the number of distinct
   * local days with at least one call in that hour. Counting days, not calls, is what
   * makes it fit schedules: a burst of calls in one hour (or forged ones, all placed
   * at their receive time) adds one day of support, never the habit of many.
   */
  readonly dayHours = new Uint16Array(this.cells, DAY_HOURS_AT, 48);
  readonly dayHoursLast = new Int32Array(this.cells, DAY_HOURS_LAST_AT, 48).fill(-1);
  /** Distinct active days per day type, and the last one counted. */
  readonly activeDays = [0, 0];
  lastActiveDay = -1;
  schemaVersion: string | null = null;
  descriptionFingerprint: string | null = null;
  transitions: Set<string> | null = null;
  lastRef: RefWithTrace | null = null;
  dirty = false;

  constructor(
    readonly kind: BaselineKind,
    readonly key: string,
    readonly service: string | null,
    readonly tool: string | null,
    readonly actor: string | null,
  ) {}

  isWarm(atMs: number, w: Warmup): boolean {
    return this.observations >= w.minObservations && atMs - this.firstMs >= w.minAgeMs;
  }

  /** Folds one call in. `local` is computed once per record by the caller (time-zone aware). */
  observe(timeMs: number, local: LocalTime, outcome: string, argsSize: number | null, learnSchedule = true): void {
    const hourOfWeek = local.hourOfWeek;
    if (this.observations === 0) this.firstMs = timeMs;
    this.observations++;
    if (timeMs > this.lastMs) this.lastMs = timeMs;
    this.observeRate(timeMs);
    // 1/n until the EWMA weight takes over: an unbiased mean while the baseline is young.
    const a = Math.max(RATIO_ALPHA, 1 / this.observations);
    const isError = outcome === 'error' || outcome === 'tool_error' ? 1 : 0;
    const isDenied = outcome === 'denied' ? 1 : 0;
    this.errorRatio += a * (isError - this.errorRatio);
    this.deniedRatio += a * (isDenied - this.deniedRatio);
    if (argsSize !== null && argsSize >= 0) {
      this.argSizes[this.argSamples % ARG_SIZE_SAMPLES] = Math.min(argsSize, 0xffffffff);
      this.argSamples++;
    }
    if (this.hours[hourOfWeek] === HOUR_BIN_CAP) {
      // Halve every bin: keeps the shape, bounds the counters, and lets old habits fade.
      this.hoursTotal = 0;
      for (let i = 0; i < 168; i++) {
        this.hours[i] = (this.hours[i] as number) >>> 1;
        this.hoursTotal += this.hours[i] as number;
      }
    }
    this.hours[hourOfWeek] = (this.hours[hourOfWeek] as number) + 1;
    this.hoursTotal++;
    if (learnSchedule) this.observeDay(local);
    this.dirty = true;
  }

  private observeDay(local: LocalTime): void {
    const dt = local.dayType;
    if (local.day > this.lastActiveDay) {
      this.lastActiveDay = local.day;
      this.activeDays[dt] = (this.activeDays[dt] as number) + 1;
    }
    const slot = dt * 24 + (local.hourOfWeek % 24);
    // Distinct days only; a late record of an earlier day adds nothing (cannot tell it apart).
    if (local.day > (this.dayHoursLast[slot] as number)) {
      this.dayHoursLast[slot] = local.day;
      if (this.dayHours[slot] !== DAY_BIN_CAP) this.dayHours[slot] = (this.dayHours[slot] as number) + 1;
    }
  }

  activeDaysTotal(): number {
    return (this.activeDays[WEEKDAY] as number) + (this.activeDays[WEEKEND] as number);
  }

  /** Distinct active days of the day type of `local`. */
  activeDaysOf(local: LocalTime): number {
    return this.activeDays[local.dayType] as number;
  }

  /**
   * Support of an hour in the day profile: the distinct days with calls in that hour
   * of that day type, plus `smoothing` × those of each neighbouring hour (wrapping).
   */
  hourSupport(local: LocalTime, smoothing: number): number {
    const dt = local.dayType;
    const h = local.hourOfWeek % 24;
    const at = (hh: number) => this.dayHours[dt * 24 + ((hh + 24) % 24)] as number;
    return at(h) + smoothing * (at(h - 1) + at(h + 1));
  }

  private observeRate(timeMs: number): void {
    const b = Math.floor(timeMs / RATE_BUCKET_MS);
    if (this.bucket < 0) {
      this.bucket = b;
      this.bucketCount = 1;
      return;
    }
    if (b <= this.bucket) {
      // Late records (out of order across requests) count in the open bucket.
      this.bucketCount++;
      return;
    }
    this.closeBucket(this.bucketCount);
    const zeros = Math.min(b - this.bucket - 1, MAX_ZERO_BUCKETS);
    for (let i = 0; i < zeros; i++) this.closeBucket(0);
    this.bucket = b;
    this.bucketCount = 1;
  }

  private closeBucket(count: number): void {
    this.ratePending.push(count);
    if (this.ratePending.length > RATE_LAG_BUCKETS) this.foldBucket(this.ratePending.shift() as number);
  }

  private foldBucket(count: number): void {
    this.rateBuckets++;
    const a = Math.max(RATE_ALPHA, 1 / this.rateBuckets);
    const diff = count - this.rateMean;
    const incr = a * diff;
    this.rateMean += incr;
    this.rateVar = (1 - a) * (this.rateVar + diff * incr);
  }

  /** Expected calls and their standard deviation over `windowMs`, from buckets folded before the lag. */
  expectedOver(windowMs: number): { mean: number; stddev: number } {
    const buckets = windowMs / RATE_BUCKET_MS;
    return { mean: this.rateMean * buckets, stddev: Math.sqrt(Math.max(this.rateVar, 0) * buckets) };
  }

  /** Distinct days with calls within ± `hours` of `local`'s hour, weekdays and weekend days pooled. */
  bandSupport(local: LocalTime, hours: number): number {
    const h = local.hourOfWeek % 24;
    let sum = 0;
    for (let d = -hours; d <= hours; d++) {
      const hh = (((h + d) % 24) + 24) % 24;
      sum += (this.dayHours[hh] as number) + (this.dayHours[24 + hh] as number);
    }
    return sum;
  }

  /**
   * Calls this entry usually makes in an hour like `local`: its hour-of-week count over
   * the weeks that day type was seen (active days / 5 weekdays or / 2 weekend days); on
   * a holiday, the weekend's hours (Saturday's and Sunday's counts over weekend days).
   */
  expectedPerHour(local: LocalTime): number {
    const how = local.hourOfWeek;
    const dow = Math.floor(how / 24);
    if (local.dayType === WEEKEND && dow !== 0 && dow !== 6) {
      const h = how % 24;
      return ((this.hours[h] as number) + (this.hours[144 + h] as number)) / Math.max(1, this.activeDays[WEEKEND] as number);
    }
    const weeks = Math.max(1, (this.activeDays[local.dayType] as number) / (local.dayType === WEEKEND ? 2 : 5));
    return (this.hours[how] as number) / weeks;
  }

  /** Share of this entry's calls that fell in `hourOfWeek` (0 when none yet). */
  hourShare(hourOfWeek: number): number {
    return this.hoursTotal === 0 ? 0 : (this.hours[hourOfWeek] as number) / this.hoursTotal;
  }

  addTransition(pair: string): boolean {
    if (!this.transitions) this.transitions = new Set();
    if (this.transitions.has(pair) || this.transitions.size >= MAX_TRANSITIONS_PER_SERVICE) return false;
    this.transitions.add(pair);
    this.dirty = true;
    return true;
  }

  argSizeStats(): { median: number | null; mad: number | null; samples: number } {
    const n = Math.min(this.argSamples, ARG_SIZE_SAMPLES);
    if (n === 0) return { median: null, mad: null, samples: 0 };
    const values = Array.from(this.argSizes.subarray(0, n)).sort((x, y) => x - y);
    const median = medianOfSorted(values);
    const deviations = values.map((v) => Math.abs(v - median)).sort((x, y) => x - y);
    return { median, mad: medianOfSorted(deviations), samples: n };
  }

  toJSON(): SerializedEntry {
    return {
      o: this.observations,
      f: this.firstMs,
      l: this.lastMs,
      b: this.bucket,
      bc: this.bucketCount,
      rm: this.rateMean,
      rv: this.rateVar,
      rb: this.rateBuckets,
      rp: this.ratePending,
      er: this.errorRatio,
      dr: this.deniedRatio,
      as: Array.from(this.argSizes.subarray(0, Math.min(this.argSamples, ARG_SIZE_SAMPLES))),
      an: this.argSamples,
      h: sparseHours(this.hours),
      dh: sparse(this.dayHours, 48),
      dl: sparse(this.dayHoursLast, 48, -1),
      ad: [...this.activeDays],
      ld: this.lastActiveDay,
      sv: this.schemaVersion,
      df: this.descriptionFingerprint,
      t: this.transitions ? [...this.transitions] : null,
      lr: this.lastRef,
    };
  }

  static fromJSON(
    kind: BaselineKind,
    key: string,
    ids: { service: string | null; tool: string | null; actor: string | null },
    s: SerializedEntry,
  ): BaselineEntry {
    const e = new BaselineEntry(kind, key, ids.service, ids.tool, ids.actor);
    e.observations = s.o;
    e.firstMs = s.f;
    e.lastMs = s.l;
    e.bucket = s.b;
    e.bucketCount = s.bc;
    e.rateMean = s.rm;
    e.rateVar = s.rv;
    e.rateBuckets = s.rb;
    e.ratePending = Array.isArray(s.rp) ? s.rp.slice(-RATE_LAG_BUCKETS) : [];
    e.errorRatio = s.er;
    e.deniedRatio = s.dr;
    e.argSizes.set(s.as.slice(0, ARG_SIZE_SAMPLES));
    e.argSamples = s.an;
    for (const [i, c] of s.h) {
      e.hours[i] = c;
      e.hoursTotal += c;
    }
    // Entries stored before the day profile start it empty (rules wait for min_profile_days).
    for (const [i, c] of s.dh ?? []) e.dayHours[i] = c;
    for (const [i, d] of s.dl ?? []) e.dayHoursLast[i] = d;
    if (Array.isArray(s.ad)) [e.activeDays[0], e.activeDays[1]] = [s.ad[0] ?? 0, s.ad[1] ?? 0];
    e.lastActiveDay = s.ld ?? -1;
    e.schemaVersion = s.sv;
    e.descriptionFingerprint = s.df;
    e.transitions = s.t ? new Set(s.t) : null;
    e.lastRef = s.lr;
    return e;
  }

  view(): BaselineView {
    const rateStd = Math.sqrt(Math.max(this.rateVar, 0));
    return {
      kind: this.kind,
      service: this.service,
      tool: this.tool,
      actor: this.actor,
      observations: this.observations,
      first_seen: new Date(this.firstMs).toISOString(),
      last_seen: new Date(this.lastMs).toISOString(),
      warm: this.isWarm(this.lastMs, DEFAULT_WARMUP),
      rate_per_minute: { mean: round(this.rateMean), stddev: round(rateStd), buckets: this.rateBuckets },
      error_ratio: round(this.errorRatio),
      denied_ratio: round(this.deniedRatio),
      args_size: this.argSizeStats(),
      hour_of_week: Array.from(this.hours),
      day_profile: {
        weekday: Array.from(this.dayHours.subarray(0, 24)),
        weekend: Array.from(this.dayHours.subarray(24)),
        weekdays_active: this.activeDays[WEEKDAY] as number,
        weekend_days_active: this.activeDays[WEEKEND] as number,
      },
      schema_version: this.schemaVersion,
      description_fingerprint: this.descriptionFingerprint,
      transitions: this.transitions?.size ?? 0,
    };
  }
}

export interface SerializedEntry {
  o: number;
  f: number;
  l: number;
  b: number;
  bc: number;
  rm: number;
  rv: number;
  rb: number;
  rp?: number[];
  er: number;
  dr: number;
  as: number[];
  an: number;
  h: Array<[number, number]>;
  dh?: Array<[number, number]>;
  dl?: Array<[number, number]>;
  ad?: number[];
  ld?: number;
  sv: string | null;
  df: string | null;
  t: string[] | null;
  lr: RefWithTrace | null;
}

function sparseHours(hours: Uint16Array): Array<[number, number]> {
  return sparse(hours, 168);
}

function sparse(values: Uint16Array | Int32Array, n: number, empty = 0): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) if (values[i] !== empty) out.push([i, values[i] as number]);
  return out;
}

function medianOfSorted(values: number[]): number {
  const mid = values.length >> 1;
  return values.length % 2 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
