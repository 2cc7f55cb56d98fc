import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/sources';
import { CONFIG_FILE_ENV } from '../config/sources';
import type { ProcessorConfig } from '../config/schema';
import { openTrail, type OpenedTrail, usesPostgres } from '../replica/open-trail';
import { safeLines } from '../safe-text';
import { CliError } from './errors';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

export type FlagValues = Record<string, string | boolean | undefined>;

export function resolveConfig(values: FlagValues, io: CliIo): ProcessorConfig {
  const file = (typeof values.config === 'string' ? values.config : undefined) ?? io.env[CONFIG_FILE_ENV] ?? null;
  return loadConfig({ file, env: io.env, flags: values });
}

/** Read commands must not create an empty trail by accident: the file has to exist. */
export async function openExistingStore(config: ProcessorConfig): Promise<OpenedTrail> {
  if (!usesPostgres(config) && config.store.path !== ':memory:' && !existsSync(config.store.path)) {
    throw new CliError('MCPTRAIL_ERR_CLI_NO_STORE', `no trail at '${config.store.path}' (set --db or MCPTRAIL_DB)`);
  }
  return openTrail(config);
}

/**
 * Every line the CLI prints goes through here: control, bidi and invisible characters
 * from telemetry (a tool named `x\u001b]0;owned\u0007`) are written as `\uXXXX` escapes,
 * which are also valid inside JSON strings, so `--json` lines stay parseable.
 */
export function writeLine(stream: Writable, line: string): void {
  stream.write(`${safeLines(line)}\n`);
}

/** Plain-text table for humans: columns padded to the widest cell, long cells cut. */
export function table(rows: Array<Record<string, string>>, columns: string[], maxWidth = 40): string {
  const cut = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cut(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cut(r[c] ?? ''))))].join('\n');
}
