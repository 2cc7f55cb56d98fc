/**
 * Keeps the store's rollup near the head of the trail: a bounded step (ROLLUP_STEP_RECORDS)
 * every few seconds, back to back (yielding between steps) while it is behind, e.g. on the
 * first start over a large trail. Each step is sized from the previous one's hold of the write
 * lock so that it holds it about ROLLUP_STEP_HOLD_MS (nextStepRecords). A console request waits
 * for at most one step, never for the whole catch-up: until it is done, counts say how many
 * records they leave out.
 */
import type { Logger } from '../logger';
import { ROLLUP_MIN_STEP_RECORDS, ROLLUP_STEP_GROWTH, ROLLUP_STEP_HOLD_MS, ROLLUP_STEP_RECORDS, type RollupStep, type TrailRollup } from '../store/rollup-types';

export interface RollupCatchUp {
  /** One step (or the one in flight) before a count, so the answer includes the newest records. */
  fresh(): Promise<void>;
  close(): void;
}

const IDLE_MS = 2_000;
const BUSY_MS = 5;
const FAILED_MS = 30_000;

/**
 * Records for the next step: as many as the last step's rate fits in ROLLUP_STEP_HOLD_MS, within
 * bounds; shrinking at once, growing by at most ROLLUP_STEP_GROWTH.
 */
export function nextStepRecords(last: RollupStep, current: number): number {
  if (last.rolled === 0 || last.heldMs <= 0) return current;
  const fits = Math.floor((last.rolled * ROLLUP_STEP_HOLD_MS) / last.heldMs);
  const grown = Math.floor(current * ROLLUP_STEP_GROWTH);
  return Math.max(ROLLUP_MIN_STEP_RECORDS, Math.min(ROLLUP_STEP_RECORDS, fits, grown));
}

export function startRollupCatchUp(rollup: TrailRollup, logger: Logger, opts: { idleMs?: number } = {}): RollupCatchUp {
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<number> | null = null;
  let backlog = 0;
  // The first step is the smallest: its hold tells how many the next can take.
  let size = ROLLUP_MIN_STEP_RECORDS;

  const step = (): Promise<number> =>
    (inFlight ??= rollup
      .step(size)
      .then((last) => {
        const { rolled, behind } = last;
        size = nextStepRecords(last, size);
        // A long catch-up (first start over a large trail) is worth a line when it ends.
        if (behind === 0 && backlog > 0) logger.info('console rollup caught up with the trail', { records: backlog + rolled });
        backlog = behind > 0 ? backlog + rolled : 0;
        return behind;
      })
      .finally(() => (inFlight = null)));

  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    timer = null;
    step().then(
      (behind) => schedule(behind > 0 ? BUSY_MS : (opts.idleMs ?? IDLE_MS)),
      (err: unknown) => {
        // The store closed under us (shutdown): stop quietly.
        if (closed || /closed|not open/i.test(String((err as Error)?.message))) return;
        logger.warn('console rollup step failed; counts read more records until it succeeds', { err });
        schedule(FAILED_MS);
      },
    );
  };
  schedule(0);

  return {
    async fresh() {
      if (closed) return;
      try {
        await step();
      } catch (err) {
        // The count still answers exactly (from the records the rollup has not taken in).
        logger.warn('console rollup step failed', { err });
      }
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
