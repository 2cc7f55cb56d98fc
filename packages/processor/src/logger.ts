/**
 * The processor's own diagnostics: one JSON object per line on stderr (stdout belongs to
 * command output). Every field value, and the message itself, goes through a redactor
 * before it is written, so a secret that reached an error message or a field never
 * lands in the processor's logs.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (e.g. `{ component: 'receiver' }`). */
  child(fields: Record<string, unknown>): Logger;
}

/** Turns any JSON-able value into its redacted form. Must not throw; must not keep references. */
export type LogRedactor = (value: unknown) => unknown;

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Applied to the message and to every field value. `null` only in tests of the logger itself. */
  redactor: LogRedactor | null;
  /** @default process.stderr */
  stream?: { write(chunk: string): unknown };
  /** @default () => Date.now() */
  clock?: () => number;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const MAX_DEPTH = 6;

/** Errors become `{ type, code, message }`; the stack stays out (paths and values leak through stacks). */
function toPlain(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
  if (typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return { type: value.name, ...(code !== undefined ? { code: String(code) } : {}), message: value.message };
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (value instanceof Uint8Array) return `[bytes:${value.byteLength}]`;
    if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

class JsonLineLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly redactor: LogRedactor | null,
    private readonly stream: { write(chunk: string): unknown },
    private readonly clock: () => number,
    private readonly bound: Record<string, unknown>,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLineLogger(this.threshold, this.redactor, this.stream, this.clock, { ...this.bound, ...fields });
  }

  private clean(value: unknown): unknown {
    const plain = toPlain(value, 0, new WeakSet());
    if (!this.redactor) return plain;
    try {
      return this.redactor(plain);
    } catch {
      // Fail closed: a redactor that cannot read the value gets nothing written.
      return '[REDACTED:unredactable]';
    }
  }

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void {
    if (SEVERITY[level] < this.threshold) return;
    const line: Record<string, unknown> = { time: new Date(this.clock()).toISOString(), level, msg: this.clean(msg) };
    for (const source of [this.bound, fields ?? {}]) {
      for (const [k, v] of Object.entries(source)) {
        if (k === 'time' || k === 'level' || k === 'msg') continue;
        line[k] = this.clean(v);
      }
    }
    try {
      this.stream.write(`${JSON.stringify(line)}\n`);
    } catch {
      // A closed stderr must not take the service down.
    }
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const level = opts.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`log level must be one of ${LOG_LEVELS.join(', ')}; got '${String(level)}'`);
  }
  return new JsonLineLogger(
    SEVERITY[level],
    opts.redactor,
    opts.stream ?? process.stderr,
    opts.clock ?? Date.now,
    {},
  );
}

/** Discards everything: for library callers and tests that do not care about diagnostics. */
export const silentLogger: Logger = createLogger({ level: 'silent', redactor: null });
