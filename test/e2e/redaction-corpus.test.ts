/**
 * The generated secret/PII corpus (packages/redact/test/fixtures/generated-corpus.ts: every
 * provider format, the structural and PII cases) through a real instrumented stdio MCP server
 * and an instrumented client, both under `--require @mcptrail/instrumentation-mcp/register`,
 * exporting OTLP to a loopback capture that forwards to a real `mcptrail serve` on SQLite.
 *
 * Placed in nested arguments, object keys, header names, tool results, error messages, tool
 * names (span names, attributes and metric attributes) and resource URIs. No value may appear in
 * any byte the capture received (traces, logs, metrics) nor in the SQLite file and its WAL.
 * Controls: a canary in an ordinary argument must be found in both (the search sees the bytes),
 * and the leak finder finds every case in its raw text (generated-corpus.test.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers of the demo
import { ephemeralPort, startGroup, stopAll, stopGroup } from '../../scripts/demo/processes.mjs';
// @ts-expect-error plain ESM helpers of the demo
import { REPO_ROOT, startProcessor, telemetryEnv, toolCallRecords } from '../../scripts/demo/stack.mjs';
import { type GeneratedCase, generatedCorpus, leakedKinds } from '../../packages/redact/test/fixtures/generated-corpus';
import { type OtlpCapture, startOtlpCapture } from './helpers/otlp-capture';

const FIXTURES = path.join(__dirname, 'fixtures');
const REGISTER = ['--require', '@mcptrail/instrumentation-mcp/register'];
const corpus = generatedCorpus();
const CANARY = `canary${randomBytes(8).toString('hex')}`;
/** Corpus values put into the server's OTEL_RESOURCE_ATTRIBUTES. */
const RESOURCE_SECRETS = corpus.filter((c) => ['provider/npm_token', 'provider/sendgrid_api_key', 'pii/email', 'pii/iban_de_upper'].includes(c.kind));
/** Short, one-line cases: what a tool name or a URI can carry. */
const short = (c: GeneratedCase) => c.text.length <= 200 && !c.text.includes('\n');

function chunks<T>(xs: readonly T[], maxItems: number, maxChars: number, size: (x: T) => number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let chars = 0;
  for (const x of xs) {
    if (cur.length > 0 && (cur.length >= maxItems || chars + size(x) > maxChars)) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(x);
    chars += size(x);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

type Op = { kind: 'call'; name: string; args: Record<string, unknown> } | { kind: 'read'; uri: string };

function plan(): Op[] {
  const ops: Op[] = [];
  const len = (c: GeneratedCase) => c.text.length;
  // Nested arguments, secrets as keys and as header names (JSON of the profile stays under the redactor's 64 KiB budget).
  for (const group of chunks(corpus, 8, 12_000, len)) {
    ops.push({
      kind: 'call',
      name: 'store_profile',
      args: {
        profile: {
          city: CANARY,
          items: group.map((c) => ({ note: c.text, nested: { deeper: [c.text, 'ok'] } })),
          keys: Object.fromEntries(group.filter(short).map((c, i) => [c.text, i])),
          // Header names made of a credential (`X-Trace-<token>`); personal data is not a header name.
          headers: Object.fromEntries(group.filter((c) => short(c) && c.category !== 'pii').map((c) => [`X-Trace-${c.text}`, 'on'])),
        },
      },
    });
  }
  // Results and error messages (the redactor scans 8 KiB of a string and cuts the rest).
  for (const group of chunks(corpus, 3, 6_000, len)) {
    const text = group.map((c) => c.text).join('\n');
    ops.push({ kind: 'call', name: 'echo_result', args: { text } });
    ops.push({ kind: 'call', name: 'fail_with', args: { text } });
  }
  // Tool names (span names, attributes, metric attributes) and resource URIs.
  for (const c of corpus.filter(short)) {
    ops.push({ kind: 'call', name: `notify ${c.text}`, args: {} });
    ops.push({ kind: 'read', uri: `memo://notes/${encodeURIComponent(c.text)}?q=${encodeURIComponent(c.text)}` });
  }
  return ops;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-redaction-e2e-'));
const db = path.join(dataDir, 'trail.db');
let processor: { handle: { exited: Promise<unknown>; output(): string }; url: string } | undefined;
let capture: OtlpCapture | undefined;
let agentResult: { ok?: number; failed?: number; calls?: number; failure?: string } = {};
let captured = Buffer.alloc(0);
let stored = Buffer.alloc(0);
let metricsBytes = Buffer.alloc(0);
let recordCount = 0;

beforeAll(async () => {
  const ops = plan();
  const planFile = path.join(dataDir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(ops));
  processor = await startProcessor({ db, port: await ephemeralPort(), logFile: path.join(dataDir, 'processor.log') });
  capture = await startOtlpCapture(processor.url);
  const resultFile = path.join(dataDir, 'agent-result.json');
  const env = telemetryEnv(capture.url, {
    OTEL_SERVICE_NAME: 'redaction-agent',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    FIXTURE_PLAN: planFile,
    FIXTURE_RESULT_FILE: resultFile,
    FIXTURE_SERVER_ARGS: JSON.stringify([...REGISTER, path.join(FIXTURES, 'redaction-server.cjs')]),
    FIXTURE_SERVER_ENV: JSON.stringify({
      OTEL_SERVICE_NAME: 'redaction-corpus-server',
      MCPTRAIL_CAPTURE_ARGUMENTS: 'true',
      MCPTRAIL_CAPTURE_RESULTS: 'true',
      // Resource attributes ride on every span, log and metric: a token and an address put there too.
      OTEL_RESOURCE_ATTRIBUTES: RESOURCE_SECRETS.map((c, i) => `deploy.note${i}=${encodeURIComponent(c.text)}`).join(','),
    }),
  });
  const handle = startGroup(process.execPath, [...REGISTER, path.join(FIXTURES, 'redaction-agent.cjs')], { cwd: REPO_ROOT, env, logFile: path.join(dataDir, 'agent.log') });
  await handle.exited;
  agentResult = JSON.parse(readFileSync(resultFile, 'utf8'));
  // Wait until the trail stops growing.
  let last = -1;
  for (let i = 0; i < 60; i++) {
    recordCount = (await toolCallRecords(processor.url)).length;
    if (recordCount > 0 && recordCount === last) break;
    last = recordCount;
    await new Promise((r) => setTimeout(r, 500));
  }
  captured = Buffer.concat(capture.exports.map((e) => e.body));
  metricsBytes = Buffer.concat(capture.exports.filter((e) => e.path === '/v1/metrics').map((e) => e.body));
  await stopGroup(processor.handle);
  processor = undefined;
  stored = Buffer.concat([db, `${db}-wal`, path.join(dataDir, 'processor.log')].filter(existsSync).map((f) => readFileSync(f)));
  if (process.env.MCPTRAIL_LEAK_DUMP) {
    writeFileSync(path.join(process.env.MCPTRAIL_LEAK_DUMP, 'captured.bin'), captured);
    writeFileSync(path.join(process.env.MCPTRAIL_LEAK_DUMP, 'stored.bin'), stored);
  }
}, 300_000);

afterAll(async () => {
  if (processor) await stopGroup(processor.handle);
  await stopAll();
  await capture?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('generated corpus through a stdio server, OTLP and the processor into SQLite', () => {
  it('control: the resource attributes carried corpus values to the server', () => {
    expect(RESOURCE_SECRETS).toHaveLength(4);
    expect(captured.includes('deploy.note0')).toBe(true);
  });

  it('ran every operation and stored the calls', () => {
    expect(agentResult.failure).toBeUndefined();
    expect(agentResult.calls).toBeGreaterThan(corpus.length / 2);
    expect(recordCount).toBeGreaterThan(0);
  });

  it('control: the canary argument is in the received bytes and in the stored pages', () => {
    expect(captured.includes(CANARY)).toBe(true);
    expect(stored.includes(CANARY)).toBe(true);
  });

  it('no corpus value in any received byte (traces, logs, metrics)', () => {
    expect(captured.length).toBeGreaterThan(0);
    expect(metricsBytes.length, 'metrics were exported').toBeGreaterThan(0);
    expect(leakedKinds(corpus, captured)).toEqual([]);
  });

  it('no corpus value in the SQLite file, its WAL or the processor log', () => {
    expect(leakedKinds(corpus, stored)).toEqual([]);
  });

  it('metric tool names are bounded: unknown names collapse to _OTHER', () => {
    expect(metricsBytes.includes('_OTHER')).toBe(true);
    expect(metricsBytes.includes('notify ')).toBe(false);
  });
});
