/**
 * Keeps the store's rollup near the head of the trail: a bounded step (ROLLUP_STEP_RECORDS)
 * every few seconds, back to back (yielding between steps) while it is behind, e.g. on the
 * first start over a large trail. A console request waits for at most one step, never for
 * the whole catch-up: until it is done, counts say how many records they leave out.
 */
import type { Logger } from '../logger';
import type { TrailRollup } from '../store/rollup-types';

export interface RollupCatchUp {
  /** One step (or the one in flight) before a count, so the answer includes the newest records. */
  fresh(): Promise<void>;
  close(): void;
}

const IDLE_MS = 2_000;
const BUSY_MS = 5;
const FAILED_MS = 30_000;

export function startRollupCatchUp(rollup: TrailRollup, logger: Logger, opts: { idleMs?: number } = {}): RollupCatchUp {
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<number> | null = null;
  let backlog = 0;

  const step = (): Promise<number> =>
    (inFlight ??= rollup
      .step()
      .then(({ rolled, behind }) => {
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
