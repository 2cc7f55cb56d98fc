import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { AuditRecord } from '@mcptrail/conventions';
import type { Alert } from '../../src/detect/types';
import { createLogger, type Logger } from '../../src/logger';

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a1',
    rule_id: 'argument-injection',
    title: 'Injection pattern in tool arguments',
    level: 'high',
    tags: ['owasp.mcp05', 'safe-mcp.t1105'],
    time: '2026-01-01T00:00:00.000Z',
    last_time: '2026-01-01T00:00:00.000Z',
    group: { service: 'svc', tool: 'run_shell' },
    summary: 'shell metacharacters in arguments of run_shell',
    evidence: { records: [{ chain_id: 'main', seq: 7 }], trace_ids: ['0af7651916cd43dd8448eb211c80319c'] },
    dedup_key: 'argument-injection|{"service":"svc","tool":"run_shell"}',
    count: 1,
    ...over,
  };
}

export function sampleRecord(seq: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    schema_version: '1',
    chain_id: 'main',
    seq,
    time: '2026-01-01T00:00:00.000Z',
    service: 'svc',
    service_instance: null,
    side: 'server',
    session_id: 's1',
    method: 'tools/call',
    tool: 'get_weather',
    resource_uri: null,
    prompt: null,
    jsonrpc_request_id: String(seq),
    actor_id: 'agent-1',
    actor_scope: null,
    client_name: 'client',
    client_version: '1.0.0',
    client_address: null,
    server_name: 'svc',
    server_version: '1.0.0',
    protocol_version: '2025-06-18',
    args: { city: 'Paris' },
    args_hash: null,
    args_size: 16,
    result: null,
    outcome: 'ok',
    error_type: null,
    error_message: null,
    duration_ms: 3,
    tool_schema_version: 'v1',
    tool_destructive: null,
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
    parent_span_id: null,
    source: 'span+log',
    prev_hash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    ...over,
  };
}

/** A logger whose JSON lines are kept for assertions. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', redactor: null, stream: { write: (s: string) => lines.push(s) } }) };
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A loopback HTTP server that records requests and answers with `respond(n)` (n = 0-based request index). */
export async function captureServer(
  respond: (n: number, req: CapturedRequest) => number | { status: number; body: string } = () => 200,
): Promise<{ url: string; requests: CapturedRequest[]; close(): Promise<void>; server: Server }> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      const answer = respond(requests.length, captured);
      requests.push(captured);
      const { status, body: text } = typeof answer === 'number' ? { status: answer, body: '{}' } : answer;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `cond` every 10 ms, at most `maxTries` times. */
export async function until(cond: () => boolean | Promise<boolean>, maxTries = 500): Promise<void> {
  for (let i = 0; i < maxTries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
