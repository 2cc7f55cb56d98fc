/**
 * `mcptrail warn: …` lines on stderr (never stdout: a stdio server's stdout is the JSON-RPC channel), each
 * printed once per process: an MCP SDK the hook cannot patch must never be silent.
 */
const printed = new Set<string>();

export function warnOnce(key: string, message: string): void {
  if (printed.has(key)) return;
  printed.add(key);
  try {
    process.stderr.write(`mcptrail warn: ${message}\n`);
  } catch {
    // stderr gone: nothing left to tell.
  }
}

/** For tests that run several instrumentations in one process. */
export function resetWarnings(): void {
  printed.clear();
}

export function warnUnsupportedVersion(pkg: string, version: string | undefined, supported: string): void {
  warnOnce(
    `version:${pkg}@${version}`,
    `${pkg} ${version ?? '(unknown version)'} is not instrumented: this instrumentation supports ${supported}; ` +
      `upgrade the SDK (or @mcptrail/instrumentation-mcp) to a supported version`,
  );
}
