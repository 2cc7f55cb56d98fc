/**
 * An OTLP/HTTP pass-through for the end-to-end tests: every export from the agent and the MCP
 * servers lands here, is kept (decompressed) for assertions on spans the processor does not
 * store (the agent's `invoke_agent` span, client spans), and is forwarded byte for byte to the
 * processor, whose answer goes back to the exporter unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface CapturedExport {
  path: string;
  contentType: string;
  /** Decompressed body. */
  body: Buffer;
}

export interface OtlpCapture {
  url: string;
  exports: CapturedExport[];
  close(): Promise<void>;
}

export async function startOtlpCapture(forwardTo: string): Promise<OtlpCapture> {
  const exports: CapturedExport[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const encoding = String(req.headers['content-encoding'] ?? '');
      const contentType = String(req.headers['content-type'] ?? '');
      try {
        exports.push({ path: req.url ?? '', contentType, body: encoding === 'gzip' ? gunzipSync(raw) : raw });
      } catch {
        exports.push({ path: req.url ?? '', contentType, body: raw });
      }
      const headers: Record<string, string> = { 'content-type': contentType };
      if (encoding) headers['content-encoding'] = encoding;
      fetch(new URL(req.url ?? '/', forwardTo), { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(10_000) })
        .then(async (upstream) => {
          const body = Buffer.from(await upstream.arrayBuffer());
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(503).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
