/** Runs the BUILT CLI (`npx tsc -b` in packages/processor first) as a real process. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface Served {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

/** Starts `mcptrail serve` and resolves with the URL from its `listening` log line. */
export function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let found = false;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (found) return;
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'listening' && entry.url) {
            found = true;
            resolve({ child, url: entry.url, stderr: () => stderr, stdout: () => stdout, exited });
            return;
          }
        } catch {
          // a partial line: wait for more
        }
      }
    });
    void exited.then(({ code, signal }) => {
      if (!found) reject(new Error(`serve exited (${code ?? signal}) before listening:\n${stderr}`));
    });
  });
}

/** Runs one CLI command to completion. */
export function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let counter = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** An OTLP/JSON traces request with `n` tools/call SERVER spans; returns the body and the span ids. */
export function tracesRequest(n: number, session: string, extraAttributes: Record<string, string> = {}): { body: string; spanIds: string[] } {
  const spanIds: string[] = [];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, () => {
    counter += 1;
    const spanId = hex(counter, 16);
    spanIds.push(spanId);
    const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
    return {
      traceId: `${hex(process.pid, 8)}${hex(counter, 24)}`,
      spanId,
      name: 'tools/call get_weather',
      kind: 2,
      startTimeUnixNano: String(nowNs),
      endTimeUnixNano: String(nowNs + 2_000_000n),
      attributes: [
        str('mcp.method.name', 'tools/call'),
        str('gen_ai.tool.name', 'get_weather'),
        str('gen_ai.operation.name', 'execute_tool'),
        str('mcp.session.id', session),
        str('enduser.id', 'client-42'),
        str('jsonrpc.request.id', String(counter)),
        ...Object.entries(extraAttributes).map(([k, v]) => str(k, v)),
      ],
      status: {},
    };
  });
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'weather-mcp' } }] },
        scopeSpans: [{ scope: { name: '@mcptrail/instrumentation-mcp', version: '0.1.0' }, spans }],
      },
    ],
  });
  return { body, spanIds };
}

export async function postTraces(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}
