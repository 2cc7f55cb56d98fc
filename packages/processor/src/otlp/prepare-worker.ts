/**
 * The ingest worker thread: prepareExport() on request bodies the main thread hands over, so
 * decoding and normalizing an 8 MiB request never stalls acknowledgements and health checks.
 * Results go back in slices the main thread pulls one at a time (each slice is deserialized
 * on the main thread, so its size bounds that thread's work per turn).
 * workerData: { config (ProcessorConfig), settings (the pipeline's normalizeSettings()), toolDefinitions (bool) }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { InboxDraft } from '../audit/inbox-codec';
import type { NormalizeOptions } from '../audit/types';
import type { ProcessorConfig } from '../config/schema';
import { createProcessorRedactor } from '../redaction';
import { nameThisThread } from '../thread-name';
import { lowerThisThread, NICE_INGEST_WORKER } from '../thread-priority';
import { inflateBody } from './inflate';
import { type PreparedExport, prepareExport } from './prepare';
import type { PrepareRequest, PrepareReply } from './prepare-pool';

// A little below the receiving thread: /healthz and small requests are answered first while a big one decodes.
nameThisThread('ingest');
lowerThisThread(NICE_INGEST_WORKER);
const { config, settings, toolDefinitions, encodedOnly } = workerData as { config: ProcessorConfig; settings: Omit<NormalizeOptions, 'redactor'>; toolDefinitions: boolean; encodedOnly?: boolean };
const redactor = createProcessorRedactor(config);
const ctx = { normalize: { ...settings, redactor }, toolRedactor: toolDefinitions ? redactor : null };
const held = new Map<number, PreparedExport>();

parentPort?.on('message', (m: PrepareRequest) => {
  const reply = (r: PrepareReply): void => parentPort?.postMessage(r);
  if (m.type === 'prepare') {
    try {
      // A compressed body is inflated here, capped: the receiving thread never holds its inflated bytes.
      const body = m.inflate ? inflateBody(m.body, m.inflate.encoding, m.inflate.maxBytes) : m.body;
      const prepared = prepareExport(m.signal, m.format, body, m.emitter, m.receivedMs, ctx);
      held.set(m.id, prepared);
      const { rows, ...counts } = prepared.drafts;
      reply({ type: 'head', id: m.id, total: rows.length, counts, toolDefinitions: prepared.toolDefinitions });
    } catch (err) {
      const e = err as Error & { code?: string };
      reply({ type: 'error', id: m.id, code: e.code ?? null, message: e.message });
    }
    return;
  }
  const prepared = held.get(m.id);
  if (!prepared) return reply({ type: 'error', id: m.id, code: null, message: `no prepared request ${m.id}` });
  if (m.type === 'drop') {
    held.delete(m.id);
    return;
  }
  const rows = prepared.drafts.rows.slice(m.from, m.from + m.count);
  if (m.from + m.count >= prepared.drafts.rows.length) held.delete(m.id);
  // encodedOnly (the sealer runs on its own thread): the receiving thread needs each draft's inbox
  // text only, so the drafts' object graphs are never cloned into its heap.
  reply({ type: 'rows', id: m.id, rows: encodedOnly ? rows.map((r) => ({ kind: r.kind, sealNow: r.sealNow, encoded: r.encoded }) as InboxDraft) : rows });
});
