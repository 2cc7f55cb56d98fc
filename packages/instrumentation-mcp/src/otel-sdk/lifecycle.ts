import { diag } from '@opentelemetry/api';

export interface Flushable {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Synchronous: spool what is in flight (and, with `queued`, still queued) and close export sockets. */
  abandon?(queued: boolean): void;
}

/** Resolve when `work` settles or after `timeoutMillis`, whichever is first; never rejects. */
export async function bounded(work: () => Promise<unknown>, timeoutMillis: number, what: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMillis);
  });
  try {
    const outcome = await Promise.race([
      Promise.resolve()
        .then(work)
        .then(() => 'done' as const),
      timeout,
    ]);
    if (outcome === 'timeout') diag.warn(`${what} did not finish within ${timeoutMillis} ms (MCPTRAIL_FLUSH_TIMEOUT_MS)`);
    return outcome === 'done';
  } catch (error) {
    // Export failures were already reported, one line per kind (export-failures.ts).
    diag.debug(`${what} failed`, error);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface ExitHandlersOptions {
  timeoutMillis: number;
  /** For tests: the process-like object to hook. */
  proc?: NodeJS.Process;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flush on the ways a server process ends:
 * - `beforeExit`: the event loop drained (e.g. a stdio server after its client closed stdin): shut down.
 * - SIGTERM / SIGINT: shut down, then re-raise the signal so the exit status is what it would have
 *   been, unless the host has its own handler (then the host decides when to exit).
 * - stdin end: flush (the process may keep running; `beforeExit` shuts down later).
 * All of them share one deadline, `timeoutMillis` after the first: when it passes, whatever is still
 * in flight goes to the spool and the export sockets are closed, so nothing of ours keeps the process
 * alive (a stdio server exits within the bound of its stdin closing, backend up or down). A process
 * still running well after the deadline (it had work of its own) gets a fresh one next time.
 * Returns a function that removes the handlers.
 */
export function installExitHandlers(target: Flushable, options: ExitHandlersOptions): () => void {
  const proc = options.proc ?? process;
  let deadline: number | undefined;
  const remaining = (): number => {
    const now = Date.now();
    if (deadline === undefined || now > deadline + options.timeoutMillis) deadline = now + options.timeoutMillis;
    return Math.max(50, deadline - now);
  };
  let shutdownPromise: Promise<void> | undefined;
  const shutdownOnce = (): Promise<void> => {
    shutdownPromise ??= bounded(() => target.shutdown(), remaining(), 'mcptrail shutdown').then(() => target.abandon?.(true));
    return shutdownPromise;
  };

  const onBeforeExit = (): void => {
    void shutdownOnce();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdownOnce().then(() => {
      proc.removeListener(signal, onSignal);
      // Anyone else listening owns the exit; otherwise restore the default action.
      if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
    });
  };
  const onStdinEnd = (): void => {
    void bounded(() => target.forceFlush(), remaining(), 'mcptrail flush on stdin end').then((done) => {
      if (!done) target.abandon?.(false);
    });
  };

  proc.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) proc.on(signal, onSignal);
  const stdin = stdinIfPiped(proc);
  stdin?.on('end', onStdinEnd);

  return () => {
    proc.removeListener('beforeExit', onBeforeExit);
    for (const signal of SIGNALS) proc.removeListener(signal, onSignal);
    stdin?.removeListener('end', onStdinEnd);
  };
}

/** Only a non-TTY stdin can "close" the way an MCP client closes a stdio server's input. */
function stdinIfPiped(proc: NodeJS.Process): NodeJS.ReadStream | undefined {
  try {
    return proc.stdin.isTTY ? undefined : proc.stdin;
  } catch {
    return undefined;
  }
}
