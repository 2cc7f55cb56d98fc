import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { TempDir } from './processes';

/** One Application Insights envelope (`Microsoft.ApplicationInsights.Request`, `.Message`, …). */
export interface TelemetryItem {
  name: string;
  iKey?: string;
  tags?: Record<string, string>;
  data?: {
    baseType?: string;
    baseData?: {
      name?: string;
      message?: string;
      properties?: Record<string, string>;
      measurements?: Record<string, number>;
      [key: string]: unknown;
    };
  };
}

/**
 * A loopback stand-in for the Application Insights ingestion endpoint: HTTPS with a
 * self-signed certificate for IP 127.0.0.1 (trust it in children via NODE_EXTRA_CA_CERTS),
 * accepting `POST /v2.1/track` (gzip JSON) and answering like the service does.
 */
export class AppInsightsReceiver {
  readonly items: TelemetryItem[] = [];
  readonly rawBodies: Buffer[] = [];
  readonly paths: string[] = [];
  caFile = '';
  url = '';
  private server: Server | undefined;

  async start(dir: TempDir): Promise<this> {
    const key = dir.file('key.pem');
    const cert = dir.file('cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore', timeout: 30_000 },
    );
    this.caFile = cert;
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (String(req.headers['content-encoding']).toLowerCase() === 'gzip') body = gunzipSync(body);
        this.paths.push(`${req.method} ${req.url}`);
        this.rawBodies.push(body, Buffer.from(JSON.stringify(req.headers)));
        const received = parseItems(body.toString('utf8'));
        this.items.push(...received);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ itemsReceived: received.length, itemsAccepted: received.length, errors: [] }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  connectionString(instrumentationKey: string): string {
    return `InstrumentationKey=${instrumentationKey};IngestionEndpoint=${this.url}`;
  }

  allBytes(): Buffer {
    return Buffer.concat(this.rawBodies);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The exporter sends a JSON array; newline-delimited JSON is accepted too. */
function parseItems(text: string): TelemetryItem[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as TelemetryItem[];
  return trimmed.split('\n').map((line) => JSON.parse(line) as TelemetryItem);
}
