/**
 * A request the pipeline would refuse (503 + Retry-After) is refused before it is decoded (and a
 * compressed body the ingest worker would inflate, before it is inflated): under overload most
 * requests are retries, and decoding, normalizing and redacting each one only to refuse it spent
 * the CPU the processor was short of (bench/RESULTS.md, s26).
 * Overload here is a detection thread held behind the sealer (test/fixtures/held-detection-worker.cjs):
 * past DETECTION_BACKLOG_MAX_BYTES the pipeline refuses. An undecodable body tells the two
 * orders apart: decoded first it gets 400, refused first 503.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processorConfigSchema } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { protoSpan, traceRequest } from '../otlp/fixtures';

const HELD_WORKER = path.join(__dirname, '..', 'fixtures', 'held-detection-worker.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-overload-'));
const flag = path.join(dir, 'hold');
let proc: RunningProcessor;
let n = 0;

/** 50 tool-call spans with an argument of about 8 KB each: ≈ 400 KB, the ingest worker's path. */
function bigRequest(): Buffer {
  const spans = Array.from({ length: 50 }, () => {
    n++;
    return protoSpan({
      traceId: randomBytes(16),
      spanId: randomBytes(8),
      attributes: [
        { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
        { key: 'gen_ai.tool.name', value: { stringValue: 'get_weather' } },
        { key: 'gen_ai.tool.call.arguments', value: { stringValue: JSON.stringify({ note: `call ${n} `.padEnd(8_000, 'lorem ipsum ') }) } },
      ],
    });
  });
  return traceRequest(spans);
}

async function post(body: Buffer, encoding = 'identity'): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`${proc.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': encoding }, body });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

/** Not protobuf at all (a field tag of wire type 7): 400 for whoever decodes it. */
const garbage = (size: number) => Buffer.concat([Buffer.from([0x0f]), randomBytes(size - 1)]);

beforeAll(async () => {
  process.env.MCPTRAIL_TEST_HOLD_DETECTION = flag;
  const config = processorConfigSchema.parse({
    log_level: 'silent',
    store: { path: path.join(dir, 'trail.db') },
    receiver: { port: 0, ingest_workers: 1 },
    trail: { pairing_window_ms: 0 },
  });
  proc = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }), detectionWorkerPath: HELD_WORKER });
});
afterAll(async () => {
  fs.rmSync(flag, { force: true });
  await proc?.close();
  delete process.env.MCPTRAIL_TEST_HOLD_DETECTION;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('overload is refused before the decode', () => {
  it('control: an undecodable body gets 400 while the processor takes requests', async () => {
    expect((await post(bigRequest())).status).toBe(200);
    expect((await post(garbage(100 * 1024))).status).toBe(400);
    expect((await post(garbage(1024))).status).toBe(400);
  });

  it('while detection is behind: 503 + Retry-After for the same bodies, large, small and compressed; taken again after', async () => {
    fs.writeFileSync(flag, '');
    let refused = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const r = await post(bigRequest());
      if (r.status === 503) refused = r;
      else {
        expect(r.status).toBe(200);
        await new Promise((res) => setTimeout(res, 50)); // sealed and handed to detection meanwhile
      }
    }
    expect(refused).toEqual({ status: 503, retryAfter: '1' });
    for (const body of [garbage(100 * 1024), garbage(1024)]) expect(await post(body)).toEqual({ status: 503, retryAfter: '1' });
    expect(await post(zlib.gzipSync(garbage(200 * 1024)), 'gzip')).toEqual({ status: 503, retryAfter: '1' });

    fs.rmSync(flag);
    let taken = false;
    for (let i = 0; i < 100 && !taken; i++) {
      taken = (await post(bigRequest())).status === 200;
      if (!taken) await new Promise((res) => setTimeout(res, 100));
    }
    expect(taken).toBe(true);
    expect((await post(garbage(100 * 1024))).status).toBe(400);
  });
});
