/**
 * Names the calling thread for the operating system (Linux: its `comm`, what `top -H`, `ps -L`,
 * `perf` and /proc/<pid>/task/<tid>/comm show), so the processor's CPU can be told apart per
 * thread: every worker thread of a Node process is otherwise called "node". A thread may rename
 * only itself; names are cut to the kernel's 15 bytes. Best effort: elsewhere, nothing happens.
 */
import { writeFileSync } from 'node:fs';

export type ThreadRole = 'ingest' | 'inbox' | 'sealer' | 'detect' | 'rollup' | 'verify';

export function nameThisThread(role: ThreadRole): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/thread-self/comm', `mcptrail-${role}`.slice(0, 15));
  } catch {
    // No /proc (a container without it) or an older kernel: the thread keeps its name.
  }
}
