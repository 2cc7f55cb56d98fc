/**
 * Compressed bodies of 64 KiB and more (compressed) reach the ingest worker still compressed and
 * are inflated there (otlp/inflate.ts), so the receiving thread neither inflates nor joins 8 MiB.
 * Every answer an attacker can provoke must be exactly the main-thread path's: each case runs
 * against a processor with the worker (ingest_workers 1) and one without (0, today's streaming path).
 * Controls (run by hand, 2026-12-02): inflateBody without maxOutputLength fails the bomb tests
 * (400 MCPTRAIL_OTLP_DECODE after inflating 1 GiB, rss growth past the bound); with
 * maxOutputLength: maxBytes - 1 the "exactly the cap" case fails (413 instead of 200).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processorConfigSchema } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { otlpType } from '../../src/otlp/schema';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { protoSpan, traceRequest } from '../otlp/fixtures';

const TOKEN = 'compressed-token-1';
const MAX = 1024 * 1024;
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-compressed-'));
const procs: Record<'worker' | 'main', RunningProcessor> = {} as never;

const decodeStatus = (body: Buffer) => otlpType('google.rpc.Status').toObject(otlpType('google.rpc.Status').decode(body)) as { message: string };

async function post(p: RunningProcessor, body: Buffer, encoding: string) {
  const res = await fetch(`${p.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': encoding, authorization: `Bearer ${TOKEN}` },
    body,
  });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, code: res.headers.get('mcptrail-error-code'), message: res.status === 200 ? null : decodeStatus(buf).message };
}

/** The same request to both processors: the answers must be equal; returns the worker's. */
async function both(body: Buffer, encoding: string) {
  const worker = await post(procs.worker, body, encoding);
  const main = await post(procs.main, body, encoding);
  expect(worker).toEqual(main);
  return worker;
}

/** A one-span OTLP request of exactly `size` bytes (an attribute of random base64 pads it: compresses to ~75 %). */
function requestOfSize(size: number): Buffer {
  const make = (pad: number) =>
    traceRequest([protoSpan({ attributes: [{ key: 'pad', value: { stringValue: randomBytes(Math.ceil(pad * 0.75) + 3).toString('base64').slice(0, pad) } }] })]);
  let pad = size - make(0).length;
  for (let i = 0; i < 8; i++) {
    const b = make(pad);
    if (b.length === size) return b;
    pad += size - b.length;
  }
  throw new Error(`no request of ${size} bytes`);
}

/**
 * ~1 MiB on the wire, 900 MiB inflated: a first gzip member of 100 KiB of random bytes (stored,
 * so the first 64 KiB on the wire inflate to less than the cap and the body goes to the worker
 * still compressed), then 900 members of 1 MiB of zeros.
 */
function gzipBomb(): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat([zlib.gzipSync(randomBytes(100 * 1024), { level: 0 }), ...Array.from({ length: 900 }, () => member)]);
}

beforeAll(async () => {
  for (const [name, workers] of [['worker', 1], ['main', 0]] as const) {
    const config = processorConfigSchema.parse({
      log_level: 'silent',
      store: { path: path.join(dir, `${name}.db`) },
      receiver: { port: 0, max_body_bytes: MAX, ingest_workers: workers },
      auth: { credentials: [{ id: 'c', token: TOKEN }] },
      detection: { enabled: false },
    });
    procs[name] = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
  }
});
afterAll(async () => {
  await Promise.all(Object.values(procs).map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('compressed bodies inflated in the ingest worker', () => {
  it('413 for a gzip bomb (900 MiB of zeros, ~0.9 MiB compressed), memory bounded by the cap', async () => {
    const bomb = gzipBomb();
    expect(bomb.length).toBeGreaterThan(64 * 1024); // the worker path
    expect(bomb.length).toBeLessThan(MAX); // passes the compressed cap
    expect(zlib.gunzipSync(bomb.subarray(0, 64 * 1024 + 100), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length).toBeLessThan(MAX); // not refused while streaming
    const rssBefore = process.memoryUsage().rss;
    const r = await post(procs.worker, bomb, 'gzip');
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(r).toEqual({ status: 413, code: 'MCPTRAIL_OTLP_BODY_TOO_LARGE', message: `request body size after decompression exceeds the limit of ${MAX} bytes` });
    expect(rssGrowth).toBeLessThan(128 * 1024 * 1024);
    expect(await post(procs.main, bomb, 'gzip')).toEqual(r);
    // The worker survived it: a normal large request is still stored.
    expect((await both(zlib.gzipSync(requestOfSize(400 * 1024)), 'gzip')).status).toBe(200);
  });

  it('413 for a deflate bomb too', async () => {
    const bomb = zlib.deflateSync(Buffer.concat([randomBytes(100 * 1024), Buffer.alloc(256 * 1024 * 1024)]), { level: 9 });
    expect(bomb.length).toBeGreaterThan(64 * 1024);
    expect(await both(bomb, 'deflate')).toEqual({ status: 413, code: 'MCPTRAIL_OTLP_BODY_TOO_LARGE', message: `request body size after decompression exceeds the limit of ${MAX} bytes` });
  });

  it('exactly the cap after decompression is accepted, one byte over is 413', async () => {
    const at = zlib.gzipSync(requestOfSize(MAX));
    const over = zlib.gzipSync(requestOfSize(MAX + 1));
    expect(at.length).toBeGreaterThan(64 * 1024);
    expect(over.length).toBeLessThan(MAX);
    expect(await both(at, 'gzip')).toEqual({ status: 200, code: null, message: null });
    expect(await both(over, 'gzip')).toEqual({ status: 413, code: 'MCPTRAIL_OTLP_BODY_TOO_LARGE', message: `request body size after decompression exceeds the limit of ${MAX} bytes` });
    expect(await both(zlib.deflateSync(requestOfSize(MAX + 1)), 'deflate')).toMatchObject({ status: 413 });
  });

  it('400 with the same message for truncated and corrupt gzip/deflate', async () => {
    const good = zlib.gzipSync(requestOfSize(512 * 1024));
    expect(good.length).toBeGreaterThan(64 * 1024 + 100);
    const bad = (message: string) => ({ status: 400, code: 'MCPTRAIL_OTLP_BAD_COMPRESSION', message });
    expect(await both(good.subarray(0, good.length - 10), 'gzip')).toEqual(bad('invalid gzip body: unexpected end of compressed data'));
    expect(await both(good.subarray(0, 80 * 1024), 'gzip')).toEqual(bad('invalid gzip body: unexpected end of compressed data'));
    const crc = Buffer.from(good);
    crc[crc.length - 6] ^= 0xff;
    expect(await both(crc, 'gzip')).toEqual(bad('invalid gzip body: incorrect data check'));
    const garbage = Buffer.concat([good, Buffer.from('trailing garbage')]);
    expect(await both(garbage, 'gzip')).toEqual(bad('invalid gzip body: incorrect header check'));
    // Not gzip at all (a deflate stream sent as gzip) and random bytes, both past 64 KiB.
    expect(await both(zlib.deflateSync(requestOfSize(512 * 1024)), 'x-gzip')).toEqual(bad('invalid gzip body: incorrect header check'));
    expect((await both(randomBytes(100 * 1024), 'deflate')).code).toBe('MCPTRAIL_OTLP_BAD_COMPRESSION');
    const df = zlib.deflateSync(requestOfSize(512 * 1024));
    expect(await both(df.subarray(0, df.length - 3), 'deflate')).toEqual(bad('invalid deflate body: unexpected end of compressed data'));
  });

  it('a valid large gzip body is stored alike on both paths, and a compressed body past the cap is refused before decompression', async () => {
    expect(await both(zlib.gzipSync(traceRequest(Array.from({ length: 300 }, (_, i) => protoSpan({ spanId: Buffer.alloc(8, i + 1) })))), 'gzip')).toEqual({ status: 200, code: null, message: null });
    const huge = zlib.gzipSync(randomBytes(MAX + 1024), { level: 0 });
    expect(huge.length).toBeGreaterThan(MAX);
    expect(await both(huge, 'gzip')).toEqual({ status: 413, code: 'MCPTRAIL_OTLP_BODY_TOO_LARGE', message: `request body size before decompression exceeds the limit of ${MAX} bytes` });
  });
});
