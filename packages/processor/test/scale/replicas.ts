/**
 * Test harness for several `mcptrail serve` replicas (built dist) on one PostgreSQL
 * database, and a load generator that routes OTLP/gRPC by `service.name` over a
 * consistent-hash ring, as the Collector's load_balancing exporter does.
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type Served, serve } from '../cli/spawn';

export const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface ReplicaSpec {
  id: string;
  dbUrl: string;
  stateDir: string;
  keyFile: string;
  configFile: string;
}

export interface Replica {
  spec: ReplicaSpec;
  served: Served;
  httpUrl: string;
  grpcAddress: string;
}

function listeningLine(stderr: string): { url: string; grpc?: string } {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string; grpc?: string };
      if (entry.msg === 'listening' && entry.url) return { url: entry.url, ...(entry.grpc ? { grpc: entry.grpc } : {}) };
    } catch {
      // not a complete JSON line
    }
  }
  throw new Error(`no listening line in:\n${stderr}`);
}

export async function startReplica(spec: ReplicaSpec): Promise<Replica> {
  const served = await serve([], {
    MCPTRAIL_DB: spec.dbUrl,
    MCPTRAIL_REPLICA_ID: spec.id,
    MCPTRAIL_STATE_DIR: spec.stateDir,
    MCPTRAIL_SIGNING_KEY_FILE: spec.keyFile,
    MCPTRAIL_CONFIG: spec.configFile,
    MCPTRAIL_HOST: '127.0.0.1',
    MCPTRAIL_PORT: '0',
    MCPTRAIL_GRPC_PORT: '0',
    MCPTRAIL_LOG_LEVEL: 'info',
  });
  const line = listeningLine(served.stderr());
  if (!line.grpc) throw new Error(`replica ${spec.id} did not report its gRPC address`);
  return { spec, served, httpUrl: line.url, grpcAddress: line.grpc };
}

/** SIGTERM and wait; SIGKILL if it does not stop within `ms`. */
export async function stopReplica(r: Replica, ms = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (r.served.child.exitCode !== null || r.served.child.signalCode !== null) return r.served.exited;
  r.served.child.kill('SIGTERM');
  const timer = setTimeout(() => r.served.child.kill('SIGKILL'), ms);
  try {
    return await r.served.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Consistent hashing over replica names (virtual nodes on a 32-bit ring). */
export class HashRing {
  private readonly points: Array<{ at: number; owner: string }> = [];
  constructor(owners: string[], virtualNodes = 100) {
    for (const owner of owners) for (let i = 0; i < virtualNodes; i++) this.points.push({ at: hash32(`${owner}#${i}`), owner });
    this.points.sort((a, b) => a.at - b.at);
  }
  owner(key: string): string {
    const h = hash32(key);
    for (const p of this.points) if (p.at >= h) return p.owner;
    return this.points[0]!.owner;
  }
}

function hash32(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

export interface GrpcResult {
  err: grpc.ServiceError | null;
}

/** One OTLP/gRPC Export with raw protobuf bytes, gzip-compressed like the Collector's exporter. */
export function exportTraces(address: string, body: Buffer, deadlineMs = 10_000): Promise<GrpcResult> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err) => {
        client.close();
        resolve({ err: err ?? null });
      },
    );
  });
}
