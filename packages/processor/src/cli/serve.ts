import { startProcessor } from '../service';
import { type CliIo, type FlagValues, resolveConfig } from './context';

/**
 * Runs until SIGTERM or SIGINT, then shuts down in order (stop accepting → seal everything
 * acknowledged → flush sinks → close the store) and resolves 0. A second signal while
 * shutting down exits at once with 130.
 */
export async function serveCommand(values: FlagValues, io: CliIo): Promise<number> {
  const config = resolveConfig(values, io);
  const processor = await startProcessor(config, { stdout: io.stdout });
  // Whoever started `serve --port 0` needs the URL even when info lines are filtered out.
  if (config.log_level === 'warn' || config.log_level === 'error') {
    io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'listening', url: processor.url })}\n`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        processor.logger.warn('second signal during shutdown: exiting now', { signal });
        process.exit(130);
      }
      stopping = true;
      processor.logger.info('shutting down', { signal });
      processor.close().then(
        () => resolve(0),
        (err: unknown) => {
          processor.logger.error('shutdown failed', { err });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
