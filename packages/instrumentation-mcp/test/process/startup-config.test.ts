/**
 * Start-up behaviour of `register`: environment parsing, exporter choice,
 * stderr-only diagnostics, bounded flushing on every exit path, drop counting.
 */
import { ATTR_MCPTRAIL_TELEMETRY_SIGNAL, METRIC_MCPTRAIL_TELEMETRY_DROPPED } from '@mcptrail/conventions';
import { InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StderrDiagLogger } from '../../src/otel-sdk/diag-logger';
import { reportNotInstrumented } from '../../src/otel-sdk/not-instrumented';
import { DropCounter } from '../../src/otel-sdk/drop-counter';
import { ENV_DEFAULTS, parseMcptrailEnv } from '../../src/otel-sdk/env';
import type { McptrailConfigError } from '../../src/otel-sdk/errors';
import { planExports } from '../../src/otel-sdk/exporters';
import { batchSpanProcessor, queueSizing } from '../../src/otel-sdk/processors';
import { OtlpReceiver } from '../helpers/otlp-receiver';
import { fixture, killAll, otlpEnv, REQUIRE_REGISTER, spawnNode } from '../helpers/processes';

describe('MCPTRAIL_* parsing', () => {
  it('uses the documented defaults when nothing is set', () => {
    const { options, errors } = parseMcptrailEnv({});
    expect(errors).toEqual([]);
    expect(options).toEqual({ ...ENV_DEFAULTS });
    expect(options.scrubAll).toBe(true);
    expect(options.captureArguments).toBe(false);
  });

  it('reads every variable', () => {
    const { options, errors } = parseMcptrailEnv({
      MCPTRAIL_CAPTURE_ARGUMENTS: 'yes',
      MCPTRAIL_CAPTURE_RESULTS: 'TRUE',
      MCPTRAIL_SCAN_RESULTS: 'false',
      MCPTRAIL_CLIENT_SPANS: 'false',
      MCPTRAIL_HMAC_KEY: 'k'.repeat(40),
      MCPTRAIL_HMAC_KEY_ID: 'prod-2026',
      MCPTRAIL_REDACT_KEYS: 'tenant_secret, x-internal-token',
      MCPTRAIL_REDACT_DISABLE: 'email',
      MCPTRAIL_SCRUB_ALL: 'off',
      MCPTRAIL_FLUSH_TIMEOUT_MS: '800',
      MCPTRAIL_MAX_QUEUE_SIZE: '4096',
      MCPTRAIL_EXIT_HANDLERS: '0',
      MCPTRAIL_SPOOL: 'no',
      MCPTRAIL_SPOOL_DIR: '/var/spool/mcptrail',
      MCPTRAIL_SPOOL_MAX_BYTES: '1048576',
      MCPTRAIL_SPOOL_MAX_AGE_HOURS: '24',
      MCPTRAIL_SPOOL_SPANS: 'yes',
    });
    expect(errors).toEqual([]);
    expect(options).toEqual({
      captureArguments: true,
      captureResults: true,
      scanResults: false,
      clientSpans: false,
      hmacKey: 'k'.repeat(40),
      hmacKeyId: 'prod-2026',
      redactKeys: ['tenant_secret', 'x-internal-token'],
      redactDisable: ['email'],
      scrubAll: false,
      flushTimeoutMillis: 800,
      maxQueueSize: 4096,
      exitHandlers: false,
      spool: false,
      spoolDir: '/var/spool/mcptrail',
      spoolMaxBytes: 1_048_576,
      spoolMaxAgeHours: 24,
      spoolSpans: true,
    });
  });

  it('reports a bad value with a stable code naming the variable, and falls back to the default', () => {
    const { options, errors } = parseMcptrailEnv({
      MCPTRAIL_CAPTURE_ARGUMENTS: 'maybe',
      MCPTRAIL_FLUSH_TIMEOUT_MS: '-5',
      MCPTRAIL_REDACT_KEYS: 'a,,b',
      MCPTRAIL_HMAC_KEY_ID: 'has space',
    });
    expect(errors.map((e) => [e.code, e.variable])).toEqual([
      ['MCPTRAIL_ERR_ENV_BOOLEAN', 'MCPTRAIL_CAPTURE_ARGUMENTS'],
      ['MCPTRAIL_ERR_ENV_LIST', 'MCPTRAIL_REDACT_KEYS'],
      ['MCPTRAIL_ERR_ENV_INTEGER', 'MCPTRAIL_FLUSH_TIMEOUT_MS'],
      ['MCPTRAIL_ERR_ENV_KEY_ID', 'MCPTRAIL_HMAC_KEY_ID'],
    ]);
    expect(errors[0]?.message).toContain('MCPTRAIL_CAPTURE_ARGUMENTS="maybe"');
    expect(options.captureArguments).toBe(false);
    expect(options.flushTimeoutMillis).toBe(ENV_DEFAULTS.flushTimeoutMillis);
    expect(options.redactKeys).toEqual([]);
    expect(options.hmacKeyId).toBeUndefined();
  });

  it('never echoes a rejected HMAC key', () => {
    const { errors } = parseMcptrailEnv({ MCPTRAIL_HMAC_KEY: 'short-secret-k' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('MCPTRAIL_ERR_ENV_HMAC_KEY_SHORT');
    expect(errors[0]?.message).toContain('MCPTRAIL_HMAC_KEY');
    expect(errors[0]?.message).not.toContain('short-secret-k');
  });
});

describe('exporter choice', () => {
  const plan = (env: Record<string, string>) => {
    const errors: McptrailConfigError[] = [];
    return { plan: planExports(env, (e) => errors.push(e)), errors };
  };

  it('defaults to OTLP http/protobuf for traces, logs and metrics', () => {
    const { plan: p, errors } = plan({});
    expect(errors).toEqual([]);
    expect(p.description).toBe('traces→otlp(http/protobuf), logs→otlp(http/protobuf), metrics→otlp(http/protobuf)');
    expect(p.spanExporters).toHaveLength(1);
    expect(p.logExporters).toHaveLength(1);
    expect(p.metricReaders).toHaveLength(1);
  });

  it('honours the protocol per signal and `none`', () => {
    const { plan: p } = plan({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'none',
    });
    expect(p.description).toBe('traces→otlp(http/json), logs→otlp(http/protobuf)');
    expect(p.metricReaders).toHaveLength(0);
  });

  it('refuses the console exporter (stdout is the JSON-RPC channel)', () => {
    const { plan: p, errors } = plan({ OTEL_TRACES_EXPORTER: 'console', OTEL_LOGS_EXPORTER: 'console,otlp' });
    expect(errors).toEqual([]);
    expect(p.spanExporters).toHaveLength(0);
    expect(p.logExporters).toHaveLength(1);
  });

  it('reports unknown values by variable and uses the default', () => {
    const { plan: p, errors } = plan({ OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon', OTEL_TRACES_EXPORTER: 'jaeger' });
    expect(errors.map((e) => [e.code, e.variable])).toEqual([
      ['MCPTRAIL_ERR_ENV_ENUM', 'OTEL_TRACES_EXPORTER'],
      ['MCPTRAIL_ERR_ENV_ENUM', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    ]);
    expect(p.description).toBe('traces→otlp(http/protobuf), logs→otlp(http/protobuf), metrics→otlp(http/protobuf)');
  });

  const azureInstalled = (() => {
    try {
      require.resolve('@azure/monitor-opentelemetry-exporter');
      return true;
    } catch {
      return false;
    }
  })();

  it.runIf(!azureInstalled)('without the Azure exporter installed: one error naming the package, OTLP only where asked', () => {
    const cs = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:1/';
    const { plan: p, errors } = plan({ APPLICATIONINSIGHTS_CONNECTION_STRING: cs, OTEL_TRACES_EXPORTER: 'otlp' });
    expect(p.description).toBe('traces→otlp(http/protobuf)');
    expect(errors.map((e) => e.code)).toEqual(['MCPTRAIL_ERR_EXPORTER_UNAVAILABLE']);
    expect(errors[0]?.message).toContain('npm install @azure/monitor-opentelemetry-exporter@1.0.0-beta.45');
    expect(errors[0]?.message).not.toContain('\n');
  });

  it.runIf(azureInstalled)('sends everything to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set', () => {
    const cs = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:1/';
    expect(plan({ APPLICATIONINSIGHTS_CONNECTION_STRING: cs }).plan.description).toBe(
      'traces→azure-monitor, logs→azure-monitor, metrics→azure-monitor',
    );
    // OTLP as well where asked for explicitly; metrics stay where OTEL_METRICS_EXPORTER says.
    expect(
      plan({ APPLICATIONINSIGHTS_CONNECTION_STRING: cs, OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp' }).plan.description,
    ).toBe('traces→azure-monitor, traces→otlp(http/protobuf), logs→azure-monitor, metrics→otlp(http/protobuf)');
  });

  it('rejects a connection string without an instrumentation key, without echoing it', () => {
    const { plan: p, errors } = plan({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=https://x/;Secretish=abc123' });
    expect(errors.map((e) => e.code)).toEqual(['MCPTRAIL_ERR_ENV_CONNECTION_STRING']);
    expect(errors[0]?.message).not.toContain('abc123');
    expect(p.description).toContain('traces→otlp');
  });
});

describe('queues', () => {
  it('are sized for bursts, OTEL_BSP_* winning', () => {
    expect(queueSizing({}, 'OTEL_BSP', 16_384).maxQueueSize).toBe(16_384);
    expect(queueSizing({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' }, 'OTEL_BSP', 16_384)).toMatchObject({
      maxQueueSize: 100,
      maxExportBatchSize: 100,
    });
  });

  it('count every span a full queue drops', async () => {
    const drops = new DropCounter();
    const exporter = new InMemorySpanExporter();
    const sizing = { maxQueueSize: 4, maxExportBatchSize: 4, scheduledDelayMillis: 60_000, exportTimeoutMillis: 1000 };
    const provider = new TracerProvider({ spanProcessors: [batchSpanProcessor(exporter, sizing, drops)] });
    const tracer = provider.getTracer('burst');
    for (let i = 0; i < 50; i++) tracer.startSpan(`s${i}`).end();
    await provider.forceFlush();
    const exported = exporter.getFinishedSpans().length;
    expect(exported).toBeLessThan(50);
    expect(drops.snapshot().spans).toBe(50 - exported);
    await provider.shutdown();
  });
});

describe('diagnostics', () => {
  it('write one prefixed line per message, to the given sink only', () => {
    const lines: string[] = [];
    const logger = new StderrDiagLogger((l) => lines.push(l));
    logger.debug('hello', { a: 1 });
    logger.error('bad', new Error('worse'));
    reportNotInstrumented(new Error('no SDK'), (l) => lines.push(l));
    expect(lines).toEqual(['mcptrail debug: hello {"a":1}\n', 'mcptrail error: bad Error: worse\n', 'mcptrail: not instrumented: no SDK\n']);
  });
});

describe('register in a real process', () => {
  const receiver = new OtlpReceiver();
  beforeAll(() => receiver.start());
  afterAll(async () => {
    killAll();
    await receiver.close();
  });
  const metricPoints = (service: string) =>
    receiver
      .metrics()
      .filter((m) => m.resource['service.name'] === service && m.name === METRIC_MCPTRAIL_TELEMETRY_DROPPED)
      .flatMap((m) => m.points);
  const hostSpans = (service: string) =>
    receiver.spans().filter((s) => s.resource['service.name'] === service && s.name === 'host work');

  it('reports bad configuration once per variable on stderr, still starts, never writes stdout', async () => {
    const run = await spawnNode(
      [...REQUIRE_REGISTER, '-e', "require('@opentelemetry/api').trace.getTracer('t').startSpan('host work').end()"],
      otlpEnv(receiver.url, {
        OTEL_SERVICE_NAME: 'bad-config',
        OTEL_LOG_LEVEL: 'debug',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
        MCPTRAIL_CAPTURE_ARGUMENTS: 'maybe',
        MCPTRAIL_HMAC_KEY: 'tiny-key-value',
      }),
      30_000,
    ).finished;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('mcptrail error: MCPTRAIL_ERR_ENV_BOOLEAN: MCPTRAIL_CAPTURE_ARGUMENTS="maybe"');
    expect(run.stderr).toContain('MCPTRAIL_ERR_ENV_HMAC_KEY_SHORT');
    expect(run.stderr).not.toContain('tiny-key-value');
    expect(run.stderr).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL="carrier-pigeon"/);
    expect(run.stderr).toContain('mcptrail info: started: traces→otlp(http/protobuf)');
    // Flushed at beforeExit.
    await receiver.waitFor(() => hostSpans('bad-config').length === 1, 10_000, 'bad-config span');
  });

  it('never throws into the host: a broken install prints one line and the host runs on', async () => {
    const run = await spawnNode(
      ['--require', fixture('broken-install.cjs'), ...REQUIRE_REGISTER, '-e', "process.stderr.write('host ran\\n')"],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'broken' }),
      30_000,
    ).finished;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('mcptrail: not instrumented: Cannot load @opentelemetry/sdk-node (simulated broken install)\nhost ran\n');
  });

  it('counts what a burst drops: a warning with totals and the mcptrail.telemetry.dropped metric', async () => {
    const run = await spawnNode(
      [...REQUIRE_REGISTER, '-e', "const t = require('@opentelemetry/api').trace.getTracer('burst'); for (let i = 0; i < 500; i++) t.startSpan('burst ' + i).end();"],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'burst', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', MCPTRAIL_MAX_QUEUE_SIZE: '16' }),
      30_000,
    ).finished;
    expect(run.code).toBe(0);
    const total = /dropped (\d+) spans and 0 log records in total/.exec(run.stderr);
    expect(total, run.stderr).not.toBeNull();
    const dropped = Number(total?.[1]);
    await receiver.waitFor(() => metricPoints('burst').length > 0, 10_000, 'dropped metric');
    expect(metricPoints('burst')).toEqual([{ attributes: { [ATTR_MCPTRAIL_TELEMETRY_SIGNAL]: 'spans' }, value: dropped }]);
    // Nothing vanishes unaccounted: exported + dropped = created.
    const exported = receiver.spans().filter((s) => s.resource['service.name'] === 'burst').length;
    expect(exported + dropped).toBe(500);
  });

  it('does nothing when OTEL_SDK_DISABLED=true', async () => {
    const before = receiver.requests.length;
    const run = await spawnNode(
      [...REQUIRE_REGISTER, '-e', "require('@opentelemetry/api').trace.getTracer('t').startSpan('host work').end()"],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'disabled', OTEL_SDK_DISABLED: 'true', OTEL_LOG_LEVEL: 'info' }),
      30_000,
    ).finished;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('OTEL_SDK_DISABLED=true: not instrumenting');
    expect(receiver.requests.length).toBe(before);
  });

  it('flushes on SIGINT, then dies of SIGINT when the host has no handler', async () => {
    const run = spawnNode([...REQUIRE_REGISTER, fixture('span-then-wait.cjs')], otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'sigint', OTEL_BSP_SCHEDULE_DELAY: '600000' }), 30_000);
    await untilStderr(run.stderr, 'ready');
    run.child.kill('SIGINT');
    const done = await run.finished;
    expect(done.signal).toBe('SIGINT');
    expect(hostSpans('sigint')).toHaveLength(1);
  });

  it('flushes on SIGTERM and leaves the exit to the host’s own handler', async () => {
    const run = spawnNode(
      [...REQUIRE_REGISTER, fixture('span-then-wait.cjs')],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'sigterm-host', OTEL_BSP_SCHEDULE_DELAY: '600000', FIXTURE_HOST_HANDLER: 'SIGTERM' }),
      30_000,
    );
    await untilStderr(run.stderr, 'ready');
    run.child.kill('SIGTERM');
    const done = await run.finished;
    expect(done.code).toBe(7);
    expect(hostSpans('sigterm-host')).toHaveLength(1);
  });

  it('flushes when the stdin it reads ends, while the process keeps running', async () => {
    const run = spawnNode(
      [...REQUIRE_REGISTER, fixture('span-then-wait.cjs')],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'stdin-end', OTEL_BSP_SCHEDULE_DELAY: '600000', FIXTURE_READ_STDIN: '1' }),
      30_000,
    );
    await untilStderr(run.stderr, 'ready');
    run.child.stdin?.end();
    await receiver.waitFor(() => hostSpans('stdin-end').length === 1, 10_000, 'span flushed on stdin end');
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGKILL');
    await run.finished;
  });

  it('works for an ES module host with --import', async () => {
    const run = await spawnNode(
      ['--import', '@mcptrail/instrumentation-mcp/register', '--input-type=module', '-e', "import { trace } from '@opentelemetry/api'; trace.getTracer('t').startSpan('host work').end();"],
      otlpEnv(receiver.url, { OTEL_SERVICE_NAME: 'esm-host' }),
      30_000,
    ).finished;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    await receiver.waitFor(() => hostSpans('esm-host').length === 1, 10_000, 'esm host span');
  });
});

async function untilStderr(stderr: () => string, text: string): Promise<void> {
  for (let i = 0; i < 300 && !stderr().includes(text); i++) await new Promise((r) => setTimeout(r, 100));
  if (!stderr().includes(text)) throw new Error(`child never wrote ${JSON.stringify(text)}; stderr: ${stderr()}`);
}
