#!/usr/bin/env node
/** `mcptrail`: the processor's command line. Exit 0 ok, 1 failure (or a tampered trail), 2 usage error. */
import { commandUsage, mainUsage, parseCommandLine } from './args';
import { alertsCommand, exportCommand, queryCommand, replayCommand } from './commands';
import { proveCommand, verifyCommand } from './verify';
import type { CliIo } from './context';
import { UsageError } from './errors';
import { serveCommand } from './serve';

const RUN = { serve: serveCommand, verify: verifyCommand, prove: proveCommand, query: queryCommand, alerts: alertsCommand, replay: replayCommand, export: exportCommand };

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: keyof typeof RUN | null = null;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.command === null) {
      io.stdout.write(`${mainUsage()}\n`);
      return 0;
    }
    command = parsed.command;
    if (parsed.help) {
      io.stdout.write(`${commandUsage(command)}\n`);
      return 0;
    }
    return await RUN[command](parsed.values, io);
  } catch (err) {
    const e = err as Error & { code?: string; param?: string | null };
    if (command === null && err instanceof UsageError && err.command) command = err.command as keyof typeof RUN;
    // Bad flag values found past argument parsing (filters, config from flags) are usage errors too.
    const usage =
      err instanceof UsageError ||
      e.code === 'MCPTRAIL_ERR_API_BAD_PARAM' ||
      (e.code === 'MCPTRAIL_ERR_CONFIG_INVALID' && /(^|; )--[a-z]/.test(e.message));
    io.stderr.write(`mcptrail${command ? ` ${command}` : ''}: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    if (usage) {
      io.stderr.write(`\n${command ? commandUsage(command) : mainUsage()}\n`);
      return 2;
    }
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`mcptrail: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
