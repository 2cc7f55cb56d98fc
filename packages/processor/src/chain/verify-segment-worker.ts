/**
 * A verify pool thread (./verify-pool.ts): opens its own read-only connection to the trail
 * and walks the segments it is sent. workerData: { trail }; messages { id, task } → { id, result } | { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nameThisThread } from '../thread-name';
import { lowerThisThread, NICE_VERIFY } from '../thread-priority';
import { openPostgresStore } from '../store/postgres';
import { openSqliteStore } from '../store/sqlite';
import type { AuditStore } from '../store/types';
import { runSegment, type SegmentTask } from './verify-parallel';
import type { VerifyTrailSpec } from './verify-pool';

const { trail, background } = workerData as { trail: VerifyTrailSpec; background: boolean };
nameThisThread('verify');
if (background) lowerThisThread(NICE_VERIFY);
let opened: Promise<AuditStore> | null = null;
// The file is mapped in the foreground only: the service's background verify keeps its RSS to the heap.
const store = (): Promise<AuditStore> =>
  (opened ??=
    trail.kind === 'sqlite'
      ? Promise.resolve(openSqliteStore({ path: trail.path, readOnly: true, mapFile: !background }))
      : openPostgresStore({ url: trail.url, poolSize: 1 }));

parentPort?.on('message', (m: { id: number; task: SegmentTask }) => {
  store()
    .then((s) => runSegment(s, m.task))
    .then(
      (result) => parentPort?.postMessage({ id: m.id, result }),
      (err: unknown) => parentPort?.postMessage({ id: m.id, error: (err as Error).message }),
    );
});
