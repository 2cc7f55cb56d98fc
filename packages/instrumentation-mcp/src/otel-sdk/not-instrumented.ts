/**
 * The single line printed when start-up fails; the host keeps running, uninstrumented.
 * No imports: this must work even when the OpenTelemetry packages cannot be loaded.
 */
export function reportNotInstrumented(error: unknown, write: (line: string) => void = writeStderr): void {
  const reason = error instanceof Error ? error.message : String(error);
  write(`mcptrail: not instrumented: ${reason}\n`);
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(line);
  } catch {
    // stderr closed: stay silent rather than break the host.
  }
}
