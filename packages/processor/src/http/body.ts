import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import { badCompressionMessage, type BodyEncoding, bodyTooLargeMessage } from '../otlp/inflate';
import { ReceiverError } from './errors';

export type ContentEncoding = BodyEncoding;

/** Maps a Content-Encoding header to a decoder; anything else is refused with 415 naming it. */
export function parseContentEncoding(header: string | undefined): ContentEncoding {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  throw new ReceiverError(
    'MCPTRAIL_OTLP_UNSUPPORTED_ENCODING',
    `unsupported Content-Encoding ${JSON.stringify(v.slice(0, 64))}; use gzip or none`,
  );
}

export interface BodyResult {
  body: Buffer | null;
  /** 'identity' when `body` is the decompressed body; the request's encoding when it holds the compressed bytes (keepCompressedFrom). */
  encoding: ContentEncoding;
  error: ReceiverError | null;
  /** False when the client kept sending past the drain limit: answer, then close the connection. */
  drained: boolean;
}

/**
 * Reads a request body, decompressing as it streams, and stops keeping bytes once either the
 * compressed stream or the decompressed output passes `maxBytes` (a gzip bomb never allocates
 * more than the cap plus one zlib chunk). After an error it keeps reading and discarding up
 * to `maxBytes` more raw bytes, so a client still sending gets its answer on a live connection.
 * With `keepCompressedFrom`, a compressed body whose compressed size reaches that many bytes is
 * returned as received (still capped at `maxBytes`), with `encoding` set: the caller inflates it
 * elsewhere (the ingest worker, otlp/inflate.ts), so this thread neither inflates it nor joins
 * its inflated output. Smaller compressed bodies are inflated here as they stream.
 * Never throws.
 */
export function readBody(
  req: IncomingMessage,
  encoding: ContentEncoding,
  maxBytes: number,
  timeoutMs: number,
  keepCompressedFrom?: number,
): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // The compressed bytes, kept while they may still reach keepCompressedFrom.
    const compressed: Buffer[] | null = encoding !== 'identity' && keepCompressedFrom !== undefined ? [] : null;
    let keptCompressed = false;
    let size = 0;
    let raw = 0;
    let error: ReceiverError | null = null;
    let settled = false;
    let inflater: zlib.Gunzip | zlib.Inflate | null = null;

    const timer = setTimeout(() => {
      if (inflater) {
        inflater.removeAllListeners('data');
        inflater.destroy();
        inflater = null;
      }
      error ??= new ReceiverError('MCPTRAIL_OTLP_REQUEST_TIMEOUT', `request body not received within ${timeoutMs} ms`);
      settle({ body: null, encoding: 'identity', error, drained: false });
    }, timeoutMs);
    timer.unref();
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onAborted);
      if (!result.drained) req.pause();
      resolve(result);
    };
    const tooLarge = (what: string): ReceiverError => new ReceiverError('MCPTRAIL_OTLP_BODY_TOO_LARGE', bodyTooLargeMessage(what, maxBytes));
    const stopInflating = (): void => {
      if (inflater) {
        inflater.removeAllListeners('data');
        inflater.destroy();
        inflater = null;
      }
    };
    const fail = (err: ReceiverError): void => {
      if (error) return;
      error = err;
      chunks.length = 0;
      if (compressed) compressed.length = 0;
      stopInflating();
      if (req.readableEnded) finish();
      else req.resume();
    };
    const onOutput = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge('size after decompression'));
      else chunks.push(chunk);
    };
    const onData = (chunk: Buffer): void => {
      raw += chunk.length;
      if (error) {
        // Draining after an error: stop once the client has sent a second cap's worth.
        if (raw > maxBytes * 2) settle({ body: null, encoding: 'identity', error, drained: false });
        return;
      }
      if (raw > maxBytes) {
        fail(tooLarge(encoding === 'identity' ? 'size' : 'size before decompression'));
        return;
      }
      if (compressed) {
        compressed.push(chunk);
        if (keptCompressed) return;
        if (raw >= (keepCompressedFrom as number)) {
          // Large enough to be inflated elsewhere: drop what was inflated so far, keep the compressed bytes.
          keptCompressed = true;
          chunks.length = 0;
          size = 0;
          stopInflating();
          req.resume(); // in case it was paused waiting for the inflater's drain
          return;
        }
      }
      if (!inflater) {
        onOutput(chunk);
        return;
      }
      if (!inflater.write(chunk)) {
        req.pause();
        inflater.once('drain', () => {
          if (!error) req.resume();
        });
      }
    };
    const finish = (): void => {
      if (error) settle({ body: null, encoding: 'identity', error, drained: true });
      else if (keptCompressed && compressed)
        settle({ body: compressed.length === 1 ? (compressed[0] as Buffer) : Buffer.concat(compressed, raw), encoding, error: null, drained: true });
      else settle({ body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), encoding: 'identity', error: null, drained: true });
    };
    const onEnd = (): void => {
      if (inflater && !error) inflater.end();
      else finish();
    };
    const onError = (): void => {
      error ??= new ReceiverError('MCPTRAIL_OTLP_DECODE', 'the request body could not be read');
      settle({ body: null, encoding: 'identity', error, drained: false });
    };
    const onAborted = (): void => {
      if (!req.complete) onError();
    };

    if (encoding !== 'identity') {
      const z = encoding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
      inflater = z;
      z.on('data', onOutput);
      z.on('end', () => {
        if (inflater === z) finish();
      });
      z.on('error', (err: Error & { code?: string }) => {
        if (inflater !== z) return;
        fail(new ReceiverError('MCPTRAIL_OTLP_BAD_COMPRESSION', badCompressionMessage(encoding as 'gzip' | 'deflate', err)));
      });
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onAborted);
  });
}

/**
 * Reads and discards the rest of a request we answer without its body (up to maxBytes and
 * timeoutMs); true when it ended, false when the connection should close after the answer.
 */
export function drainRequest(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (req.readableEnded || req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let raw = 0;
    let finished = false;
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    const done = (ended: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onErr);
      if (!ended) req.pause();
      resolve(ended);
    };
    const onData = (c: Buffer): void => {
      raw += c.length;
      if (raw > maxBytes) done(false);
    };
    const onEnd = (): void => done(true);
    const onErr = (): void => done(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onErr);
    req.resume();
  });
}
