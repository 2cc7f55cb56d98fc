/**
 * Composition of the processor: store (+ signing key beside it) → audit pipeline →
 * detector (same SQLite file) → sinks, behind the OTLP/HTTP receiver whose `api` hook
 * serves the query API. `startProcessor` builds and listens; `close()` stops accepting,
 * seals everything acknowledged, flushes the sinks and closes the store.
 */
import type { Writable } from 'node:stream';
import type { AuditRecord } from '@mcptrail/conventions';
import type { Redactor } from '@mcptrail/redact';
import { createApiHandler } from './api/routes';
import { verifyInWorker } from './api/verify-runner';
import type { RouteHandler } from './http/receiver';
import { CONSOLE_PUBLIC_PATHS, createAlertStateBook, createConsoleHandler } from './console';
import { type AuditPipeline, createAuditPipeline } from './audit/pipeline';
import { purgeBefore } from './chain/retention';
import { defaultOrigin } from './chain/checkpoint';
import { createCommandSigner, loadOrCreateSigningKey, type CheckpointSigner } from './chain/signing';
import { verifyTrail } from './chain/verify';
import type { ProcessorConfig } from './config/schema';
import { createDetector } from './detect/engine';
import { loadRules } from './detect/load-rules';
import type { Alert, Detector, ToolDefinitionEvent } from './detect/types';
import { createAuthenticator, credentialsFromConfig } from './http/auth';
import { createReceiver } from './http/receiver';
import { createGrpcReceiver } from './otlp/grpc-receiver';
import { inflateBody } from './otlp/inflate';
import { type ExportHandler, ingestExport } from './otlp/ingest';
import { createPreparePool } from './otlp/prepare-pool';
import { createLogger, type Logger } from './logger';
import type { DecodedLogs, DecodedTraces, IngestSink } from './otlp/types';
import { createProcessorRedactor, logRedactorOf } from './redaction';
import { createFileSink } from './sinks/file';
import { createOtlpLogsSink } from './sinks/otlp-logs';
import { createStdoutSink } from './sinks/stdout';
import type { Sink } from './sinks/types';
import { createWebhookSink } from './sinks/webhook';
import { openTrail, signingKeyPathOf, trailSpecOf, usesPostgres } from './replica/open-trail';
import { trackDetection } from './replica/detection-state';
import { DetectionThread } from './replica/detection-thread';
import type { AlertEventInput, TrailStore } from './store/types';
import { toolDefinitionsOf } from './tool-definitions';
import { createCheckpointPublisher, openWitnessFor } from './witness/publish';
import { verifyOptionsOf } from './witness/verify-options';

export interface ProcessorDeps {
  /** Diagnostics; default: JSON lines on stderr at `config.log_level`, redacted. */
  logger?: Logger;
  /** Where the stdout sink writes. @default process.stdout */
  stdout?: Writable;
  /**
   * The processor's trusted clock: receive time of every record, pairing and ticks,
   * retention. Injectable for tests and the detection benchmark only. @default Date.now
   */
  clock?: () => number;
  /** Extra read-side routes (the web console), mounted before the query API's own. */
  routes?: readonly RouteHandler[];
  /** The detection thread's script (tests: a worker whose batches can be held back). @default the built worker */
  detectionWorkerPath?: string;
}

export interface RunningProcessor {
  /** `http(s)://host:port` the receiver and the API listen on. */
  url: string;
  port: number;
  /** The OTLP/gRPC receiver's `host:port`, when `receiver.grpc_port` is set. */
  grpc: { address: string; port: number } | null;
  /** SQLite or PostgreSQL (`store.path` = `postgres://…`). */
  store: TrailStore;
  pipeline: AuditPipeline;
  detector: Detector | null;
  logger: Logger;
  /** Stop accepting, seal everything acknowledged, flush and close sinks, close the store. Idempotent. */
  close(): Promise<void>;
}

const RETENTION_INTERVAL_MS = 3_600_000;
/** Bodies from this size on are prepared in the ingest worker. */
const WORKER_MIN_BYTES = 64 * 1024;
const DAY_MS = 86_400_000;

/** Opens the sinks the configuration enables. */
export function createSinks(config: ProcessorConfig, logger: Logger, stdout?: Writable): Sink[] {
  const s = config.sinks;
  const sinks: Sink[] = [];
  if (s.stdout.alerts || s.stdout.records) {
    sinks.push(createStdoutSink({ alerts: s.stdout.alerts, records: s.stdout.records, logger: logger.child({ sink: 'stdout' }), ...(stdout ? { stream: stdout } : {}) }));
  }
  if (s.file.path) sinks.push(createFileSink({ path: s.file.path, records: s.file.records, fsync: s.file.fsync, logger: logger.child({ sink: 'file' }) }));
  if (s.webhook.url && s.webhook.secret) {
    sinks.push(
      createWebhookSink({
        url: s.webhook.url,
        secret: s.webhook.secret,
        records: s.webhook.records,
        maxAttempts: s.webhook.max_attempts,
        backoffMs: s.webhook.backoff_ms,
        timeoutMs: s.webhook.timeout_ms,
        queueSize: s.webhook.queue_size,
        flushTimeoutMs: s.webhook.shutdown_timeout_ms,
        deadLetterFile: s.webhook.dead_letter_file,
        allowLinkLocal: s.webhook.allow_link_local,
        logger: logger.child({ sink: 'webhook' }),
      }),
    );
  }
  if (s.otlp.endpoint) {
    sinks.push(
      createOtlpLogsSink({
        endpoint: s.otlp.endpoint,
        protocol: s.otlp.protocol,
        headers: s.otlp.headers,
        records: s.otlp.records,
        timeoutMs: s.otlp.timeout_ms,
        logger: logger.child({ sink: 'otlp' }),
      }),
    );
  }
  return sinks;
}

/** The checkpoint signer the configuration names: an external command, or a key file (off the store by default). */
export function signerOf(config: ProcessorConfig): CheckpointSigner {
  if (config.trail.signer_command) return createCommandSigner(config.trail.signer_command, config.trail.public_key_file!);
  return loadOrCreateSigningKey(signingKeyPathOf(config));
}

/** Alert-history appends in flight, in order; awaited before the final checkpoint. */
const alertWrites = new WeakMap<TrailStore, Promise<unknown>>();

/** Raising an alert is an event of the chain's alert history (checkpointed, so deleting it is detected). */
function recordRaised(store: TrailStore, alerts: readonly Alert[], logger: Logger): void {
  if (alerts.length === 0) return;
  const write = () => store
    .appendAlertEvents(
      alerts.map((a) => ({
        event: 'raised' as const,
        alert_id: a.id,
        rule_id: a.rule_id,
        time: a.last_time ?? a.time,
        level: a.level,
        summary: a.summary,
        evidence: a.evidence.records.map((r) => `${r.chain_id}#${r.seq}`),
      })),
    )
    .catch((err: unknown) => logger.error('alert history append failed', { alerts: alerts.length, err }));
  alertWrites.set(store, (alertWrites.get(store) ?? Promise.resolve()).then(write));
}

/** An analyst's acknowledge/resolve, after the raises in flight: the same chained history. */
function recordAlertStateChange(store: TrailStore, event: AlertEventInput): Promise<void> {
  const write = (alertWrites.get(store) ?? Promise.resolve()).then(() => store.appendAlertEvents([event]));
  alertWrites.set(store, write.catch(() => undefined));
  return write.then(() => undefined);
}

/** Hands alerts to every sink; a sink that throws is logged and skipped, never breaking the others. */
function dispatchAlerts(sinks: readonly Sink[], alerts: readonly Alert[], logger: Logger, store?: TrailStore): void {
  if (alerts.length === 0) return;
  if (store) recordRaised(store, alerts, logger);
  for (const alert of alerts) logger.info('alert', { rule_id: alert.rule_id, level: alert.level, alert_id: alert.id, count: alert.count });
  for (const sink of sinks) {
    try {
      sink.alerts(alerts);
    } catch (err) {
      logger.error('sink failed to take alerts', { sink: sink.name, err });
    }
  }
}

function dispatchRecords(sinks: readonly Sink[], records: readonly AuditRecord[], logger: Logger): void {
  for (const sink of sinks) {
    if (!sink.wantsRecords) continue;
    try {
      sink.records(records);
    } catch (err) {
      logger.error('sink failed to take records', { sink: sink.name, err });
    }
  }
}

export async function startProcessor(config: ProcessorConfig, deps: ProcessorDeps = {}): Promise<RunningProcessor> {
  const clock = deps.clock ?? Date.now;
  const redactor: Redactor = createProcessorRedactor(config);
  const logger = deps.logger ?? createLogger({ level: config.log_level, redactor: logRedactorOf(redactor) });

  // Validate everything that can be wrong before touching the store or a port.
  const rules = config.detection.enabled ? loadRules(config.detection.rules_file) : null;

  const trail = await openTrail(config, (err) => logger.warn('store connection lost; it reconnects on the next write', { error: err.message }));
  const store = trail.store;
  const opened: Array<() => Promise<void>> = [() => trail.close()];
  try {
    const signer = signerOf(config);
    const witness = openWitnessFor(config, store.chainId);
    // The sealer thread keeps its own (real) clock: an injected clock keeps sealing on this thread.
    const sealerThreadOn = config.trail.sealer_thread && config.store.path !== ':memory:' && !deps.clock;
    // Threads writing the same SQLite file share one write gate (store/write-gate.ts).
    const gate = (store as { writeGate?: SharedArrayBuffer | null }).writeGate ?? null;
    const trailSpec = (() => {
      const spec = trailSpecOf(config, store.chainId);
      return spec.kind === 'sqlite' && gate ? { ...spec, writeGate: gate } : spec;
    })();
    // With the sealer on its own thread, detection gets one too (its own connection; records
    // move there as the sealer encoded them): this thread only receives and answers.
    const detectionThread = rules && sealerThreadOn
      ? new DetectionThread({
          rulesFile: config.detection.rules_file,
          trail: trailSpec,
          statePath: usesPostgres(config) ? trail.statePath : null,
          logger: logger.child({ component: 'detect' }),
          ...(deps.detectionWorkerPath ? { workerPath: deps.detectionWorkerPath } : {}),
        })
      : null;
    if (detectionThread) opened.unshift(() => detectionThread.close());
    const detector: Detector | null = detectionThread ?? (rules ? createDetector({ rules, db: trail.stateDb, clock, logger: logger.child({ component: 'detect' }) }) : null);
    const detection = detector && !detectionThread
      ? trackDetection({
          detector,
          db: trail.stateDb,
          store,
          chainId: store.chainId,
          stateIsCurrentWithoutCursor: !usesPostgres(config),
          // Commits of a quiet moment (state deferred from the last records) deliver here.
          deliver: (alerts) => dispatchAlerts(sinks, alerts, logger, store),
          onError: (err) => logger.error('detection failed to store its state', { err }),
        })
      : null;
    const sinks = createSinks(config, logger, deps.stdout);
    opened.unshift(...sinks.map((s) => () => s.close()));
    const publisher = createCheckpointPublisher({ witness, sinks, publicKey: signer.publicKey, logger: logger.child({ component: 'witness' }) });
    const caughtUp = await publisher.catchUp(store, store.chainId);
    if (caughtUp > 0) logger.info('published checkpoints the witness had not seen', { checkpoints: caughtUp });
    if (detection || detectionThread) {
      // Records sealed before a crash but not yet detected; before the pipeline seals anything new.
      const caught = detectionThread ? await detectionThread.start((alerts) => dispatchAlerts(sinks, alerts, logger, store)) : await detection!.catchUp();
      if (caught.records > 0) logger.info('detection caught up with the trail', { records: caught.records, alerts: caught.alerts.length });
      dispatchAlerts(sinks, caught.alerts, logger, store);
    }

    const pipeline = createAuditPipeline({
      store,
      redactor,
      signer,
      origin: config.trail.origin ?? defaultOrigin(store.chainId),
      checkpointEvery: { records: config.trail.checkpoint_records, seconds: config.trail.checkpoint_seconds },
      pairingWindowMs: config.trail.pairing_window_ms,
      loneHalfMs: detection || detectionThread ? config.detection.lone_half_ms : 0,
      limits: { maxClockAheadMs: config.trail.max_clock_ahead_seconds * 1000, maxClockBehindMs: config.trail.max_clock_behind_seconds * 1000 },
      clientFallback: config.trail.client_fallback_window_ms > 0,
      clientFallbackWindowMs: config.trail.client_fallback_window_ms,
      identityMismatch: config.auth.identity_mismatch,
      logger: logger.child({ component: 'trail' }),
      clock,
      ...(sealerThreadOn ? {
            sealerThread: {
              trail: trailSpec,
              signingKeyPath: signingKeyPathOf(config),
              ...(config.trail.signer_command ? { signerCommand: { argv: config.trail.signer_command, publicKeyFile: config.trail.public_key_file! } } : {}),
            },
          } : {}),
    });
    opened.unshift(() => pipeline.close());
    pipeline.onCheckpoint((cp) => publisher.publish(cp));

    // Alert latency of a call whose partner is late or never comes: detected before it is sealed (counted once; see replica/detection-state.ts).
    // Off-thread detection takes the sealer's bytes as they are; flush() waits until it folded them.
    if (detectionThread) {
      pipeline.onEncoded({
        take: (kind, json, count) => detectionThread.feed(kind, json, count),
        drained: async () => dispatchAlerts(sinks, await detectionThread.flushAsync(), logger, store),
        // Bounded memory and alert delay: a detection thread behind by DETECTION_BACKLOG_MAX_BYTES holds requests back (503).
        saturated: () => detectionThread.saturated(),
      });
    }
    if (detection) pipeline.onLoneHalves((drafts) => {
      try {
        dispatchAlerts(sinks, detection.loneHalves(drafts), logger, store);
      } catch (err) {
        logger.error('detection failed on lone halves', { drafts: drafts.length, err });
      }
    });
    // Records are decoded on this thread only for whoever wants them here.
    if (!detectionThread || sinks.some((s) => s.wantsRecords)) pipeline.onSealed((records) => {
      dispatchRecords(sinks, records, logger);
      if (!detection) return;
      try {
        dispatchAlerts(sinks, detection.process(records), logger, store);
      } catch (err) {
        // Detection is derived state (rebuildable with `mcptrail replay`): never let it fail the trail.
        logger.error('detection failed on sealed records', { records: records.length, err });
      }
    });

    const toolDefinitions = (defs: ToolDefinitionEvent[]): void => {
      if (!detector || defs.length === 0) return;
      if (detectionThread) {
        detectionThread.definitions(defs);
        return;
      }
      try {
        dispatchAlerts(sinks, detector.processToolDefinitions(defs), logger, store);
      } catch (err) {
        logger.error('detection failed on tool definitions', { err });
      }
    };
    const ingest: IngestSink = {
      traces: (batch: DecodedTraces) => pipeline.traces(batch),
      logs: (batch: DecodedLogs) => {
        if (detector) {
          try {
            toolDefinitions(toolDefinitionsOf(batch, redactor));
          } catch (err) {
            logger.error('detection failed on tool definitions', { err });
          }
        }
        return pipeline.logs(batch);
      },
    };
    // Large bodies are decoded and normalized in the ingest worker(s), small ones here (a
    // round trip to a worker costs more than they do): no request stalls the event loop.
    const pool =
      config.receiver.ingest_workers > 0
        ? createPreparePool({
            size: config.receiver.ingest_workers,
            // With the sealer on its own thread, drafts come back as their inbox text only.
            workerData: { config, settings: pipeline.normalizeSettings(), toolDefinitions: detector !== null, encodedOnly: sealerThreadOn },
            logger: logger.child({ component: 'ingest-worker' }),
          })
        : null;
    if (pool) opened.unshift(() => pool.close());
    // Compressed bodies of WORKER_MIN_BYTES or more arrive still compressed (compressedExportMinBytes below) and are inflated there too.
    const exporter: ExportHandler = async (signal, format, body, emitter, encoding = 'identity') => {
      // Refused now, refused after the decode too: spare the decode, normalize and redaction (under overload most requests are retries).
      const refused = signal === 'metrics' ? null : pipeline.refusal();
      if (refused) throw refused;
      if (encoding !== 'identity' && (!pool || signal === 'metrics')) {
        body = inflateBody(body, encoding, config.receiver.max_body_bytes);
        encoding = 'identity';
      }
      if (!pool || signal === 'metrics' || (encoding === 'identity' && body.length < WORKER_MIN_BYTES)) return ingestExport(ingest, signal, format, body, emitter);
      const inflate = encoding === 'identity' ? undefined : { encoding, maxBytes: config.receiver.max_body_bytes };
      const prepared = await pool.prepare(signal, format, body, emitter, clock(), inflate);
      toolDefinitions(prepared.toolDefinitions);
      return pipeline.ingestPrepared(prepared.drafts);
    };

    // A worker thread with its own connection: hashing the trail must not stall ingestion.
    // Against this chain's witness file and signing interval, as `mcptrail verify` does.
    const verifyOffThread = () =>
      config.store.path === ':memory:' ? verifyTrail(store, signer.publicKey, verifyOptionsOf(config, store.chainId)) : verifyInWorker(config, signer.publicKeyPem);
    const api = createApiHandler({
      store,
      detector,
      verify: verifyOffThread,
      // Console and other read-side routes mount here (see ApiOptions.routes).
      routes: deps.routes ?? [],
      logger: logger.child({ component: 'api' }),
      health: () => ({ chain_id: store.chainId }),
      clock,
    });

    // The console (src/console) answers /console/*; everything else goes on to the query API.
    const consoleRoutes = createConsoleHandler({
      store,
      detector,
      alertStates: detector ? createAlertStateBook(trail.stateDb) : null,
      recordAlertEvent: (event) => recordAlertStateChange(store, event),
      verify: verifyOffThread,
      logger: logger.child({ component: 'console' }),
      clock,
    });
    opened.unshift(async () => consoleRoutes.close());

    const tls =
      config.receiver.tls_cert_file && config.receiver.tls_key_file
        ? { certFile: config.receiver.tls_cert_file, keyFile: config.receiver.tls_key_file, clientCaFile: config.receiver.tls_client_ca_file }
        : null;
    // One set of credentials for OTLP/HTTP, OTLP/gRPC and the API: write to send, read to query.
    const auth = createAuthenticator(credentialsFromConfig(config), { clientCerts: config.receiver.tls_client_ca_file !== null });
    const receiver = createReceiver({
      host: config.receiver.host,
      port: config.receiver.port,
      maxBodyBytes: config.receiver.max_body_bytes,
      auth,
      // Liveness probes carry no token; /healthz answers no data.
      // The console's page shell and scripts hold no data; its /console/api/* needs the read token.
      unauthenticatedPaths: ['/healthz', ...CONSOLE_PUBLIC_PATHS],
      allowedHosts: config.receiver.allowed_hosts,
      allowedOrigins: config.receiver.allowed_origins,
      trustedProxies: config.receiver.trusted_proxies,
      tls,
      sink: ingest,
      exporter,
      compressedExportMinBytes: pool ? WORKER_MIN_BYTES : undefined,
      // Read-side routes: the console first, then the query API (which tries deps.routes first).
      api: async (req, res, url, ctx) => (await consoleRoutes(req, res, url)) || api(req, res, url, ctx),
      logger: logger.child({ component: 'receiver' }),
    });
    const { url, port } = await receiver.listen();
    opened.unshift(() => receiver.close());

    const grpcReceiver =
      config.receiver.grpc_port === null
        ? null
        : createGrpcReceiver({
            host: config.receiver.host,
            port: config.receiver.grpc_port,
            maxMessageBytes: config.receiver.max_body_bytes,
            auth,
            tls,
            sink: ingest,
            exporter,
            logger: logger.child({ component: 'grpc-receiver' }),
          });
    const grpc = grpcReceiver ? await grpcReceiver.listen() : null;
    if (grpcReceiver) opened.unshift(() => grpcReceiver.close());

    const runRetention = async (): Promise<void> => {
      if (config.trail.retention_days === null) return;
      try {
        const cutoff = new Date(clock() - config.trail.retention_days * DAY_MS);
        const report = await purgeBefore(store, cutoff);
        // Alerts (whose evidence may just have gone) and baselines not seen since the cutoff follow the trail.
        const derived = (detectionThread ? await detectionThread.purgeBeforeAsync(cutoff) : detector?.purgeBefore(cutoff)) ?? { alerts: 0, baselines: 0 };
        if (report.purged + derived.alerts + derived.baselines > 0) {
          logger.info('retention purged', { records: report.purged, alerts: derived.alerts, baselines: derived.baselines });
        }
      } catch (err) {
        logger.error('retention failed', { err });
      }
    };
    await runRetention();
    const retentionTimer = setInterval(() => void runRetention(), RETENTION_INTERVAL_MS);
    retentionTimer.unref();
    const tickTimer = setInterval(() => {
      if (!detector) return;
      if (detectionThread) {
        detectionThread.tickLater(clock());
        return;
      }
      try {
        dispatchAlerts(sinks, detector.tick(clock()), logger, store);
      } catch (err) {
        logger.error('detection tick failed', { err });
      }
    }, config.detection.tick_seconds * 1000);
    tickTimer.unref();

    logger.info('listening', { url, ...(grpc ? { grpc: grpc.address } : {}), chain_id: store.chainId, db: trail.label, ...(usesPostgres(config) ? { state: trail.statePath } : {}), rules: rules?.source ?? 'disabled', sinks: sinks.map((s) => s.name) });

    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        clearInterval(tickTimer);
        clearInterval(retentionTimer);
        // Order matters: no new requests, then seal what was acknowledged (its alerts reach
        // the sinks through onSealed), then drain the sinks, then the store.
        await Promise.all([receiver.close(), grpcReceiver?.close()]);
        consoleRoutes.close();
        await pool?.close();
        // Alerts raised by the last records reach the alert history before the final checkpoint (signed by close()).
        await pipeline.flush().catch((err: unknown) => logger.error('final flush failed', { err }));
        await alertWrites.get(store);
        await pipeline.close();
        try {
          // Detection state deferred from the last records (and the cursor with it).
          if (detection) {
            dispatchAlerts(sinks, detection.flush(), logger, store);
            detection.close();
            await alertWrites.get(store);
          }
          if (detectionThread) {
            dispatchAlerts(sinks, await detectionThread.flushAsync(), logger, store);
            await detectionThread.close();
            await alertWrites.get(store);
          }
        } catch (err) {
          logger.error('detection failed to store its state at close', { err });
        }
        for (const sink of sinks) {
          try {
            await sink.close();
          } catch (err) {
            logger.error('sink close failed', { sink: sink.name, err });
          }
        }
        await trail.close();
        logger.info('stopped', { sealed: pipeline.stats().sealed });
      })();
      return closing;
    };

    return { url, port, grpc, store, pipeline, detector, logger, close };
  } catch (err) {
    for (const undo of opened) await undo().catch(() => undefined);
    throw err;
  }
}
