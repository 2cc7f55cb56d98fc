import { startProcessor } from '../service';
import { type CliIo, type FlagValues, resolveConfig } from './context';

/**
 * Runs until SIGTERM or SIGINT, then shuts down in order (stop accepting → seal everything
 * acknowledged → flush sinks → close the store) and resolves 0. A second signal while
 * shutting down exits at once with 130.
 */
export async function serveCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  // Handlers go in before start-up: a signal that arrives while starting (or right after
  // the `listening` line) must still mean "shut down cleanly", not the default kill.
  let pending: NodeJS.Signals | null = null;
  let stop: ((signal: NodeJS.Signals) => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop) stop(signal);
    else if (pending) process.exit(130);
    else pending = signal;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Diagnostics are best effort: a closed stderr pipe must not take the trail down.
  io.stderr.on('error', () => undefined);

  let processor: Awaited<ReturnType<typeof startProcessor>>;
  try {
    processor = await startProcessor(config, { stdout: io.stdout });
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    throw err;
  }
  // Whoever started `serve --port 0` needs the URL even when info lines are filtered out.
  if (config.log_level === 'warn' || config.log_level === 'error') {
    io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'listening', url: processor.url })}\n`);
  }
  const running = processor;
  // Node's default report of a crash is a raw stack on stderr, which can quote data; report it
  // through the redacting logger instead. Acknowledged data is already committed, so exiting is safe.
  process.on('uncaughtException', (err) => {
    running.logger.error('uncaught exception: exiting', { err });
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    running.logger.error('unhandled promise rejection', { err: reason });
  });
  return new Promise<number>((resolve) => {
    let stopping = false;
    stop = (signal) => {
      if (stopping) {
        running.logger.warn('second signal during shutdown: exiting now', { signal });
        process.exit(130);
      }
      stopping = true;
      running.logger.info('shutting down', { signal });
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          running.logger.error('shutdown failed', { err });
          resolve(1);
        },
      );
    };
    if (pending) stop(pending);
  });
}
