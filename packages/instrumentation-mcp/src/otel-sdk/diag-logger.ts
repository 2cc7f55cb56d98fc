import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

/** The one prefix every line mcptrail writes about itself starts with. */
export const DIAG_PREFIX = 'mcptrail';

/**
 * A diag logger that writes to stderr only. The OpenTelemetry default
 * (`DiagConsoleLogger`) sends info/debug through `console.info`/`console.debug`,
 * i.e. stdout, which is the JSON-RPC channel of a stdio MCP server.
 */
export class StderrDiagLogger implements DiagLogger {
  constructor(private readonly write: (line: string) => void = writeStderr) {}
  error(message: string, ...args: unknown[]): void {
    this.log('error', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.log('warn', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.log('info', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.log('debug', message, args);
  }
  verbose(message: string, ...args: unknown[]): void {
    this.log('verbose', message, args);
  }
  private log(level: string, message: string, args: unknown[]): void {
    const rest = args.length > 0 ? ` ${args.map(formatArg).join(' ')}` : '';
    this.write(`${DIAG_PREFIX} ${level}: ${message}${rest}\n`);
  }
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(line);
  } catch {
    // stderr closed: nothing sensible left to do, and the host must not crash.
  }
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`;
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

const LOG_LEVELS: Record<string, DiagLogLevel> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/** `OTEL_LOG_LEVEL` (case-insensitive); undefined when unset or unknown. */
export function parseLogLevel(value: string | undefined): DiagLogLevel | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return LOG_LEVELS[value.trim().toUpperCase()];
}

/**
 * Install the stderr logger as the global diag logger. `WARN` by default so a
 * misconfiguration is visible without `OTEL_LOG_LEVEL`.
 */
export function installStderrDiag(level: DiagLogLevel, logger: DiagLogger = new StderrDiagLogger()): void {
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
}

export { reportNotInstrumented } from './not-instrumented';
