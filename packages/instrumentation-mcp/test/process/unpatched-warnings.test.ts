/**
 * Nothing silent: each MCP SDK the hook cannot patch prints one `mcptrail warn:` line on stderr (never stdout,
 * which stays JSON-RPC only), naming the package, its version and the fix. Each case runs a real server in a
 * child process and talks JSON-RPC to it; the controls show the same server instrumented when it can be.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ATTR_SERVICE_NAME } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, SPAN_KIND } from '../helpers/otlp-receiver';
import { FIXTURES_DIR, killAll, otlpEnv, PACKAGE_DIR, REGISTER, spawnNode } from '../helpers/processes';
import { installedPackageDir } from '../helpers/sdk-matrix';

const CACHE = path.join(PACKAGE_DIR, 'node_modules', '.cache', 'mcptrail-unpatched');
const fixture = (name: string) => path.join(FIXTURES_DIR, 'unpatched', name);

interface Served {
  stdout: string;
  stderr: string;
  warnings: string[];
}

/** Runs a stdio server: initialize, one tools/call, then stdin ends and the server exits. */
async function serve(args: string[], serviceName: string, receiver: OtlpReceiver): Promise<Served> {
  const child = spawnNode(args, otlpEnv(receiver.url, { OTEL_SERVICE_NAME: serviceName }), 60_000);
  const send = (message: object) => child.child.stdin!.write(`${JSON.stringify(message)}\n`);
  const answered = async (id: number) => {
    const deadline = Date.now() + 40_000;
    while (!child.stdout().split('\n').some((l) => l.includes(`"id":${id}`))) {
      if (Date.now() > deadline) throw new Error(`no answer to ${id}; stderr:\n${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  await answered(1);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ping_tool', arguments: {} } });
  await answered(2);
  child.child.stdin!.end();
  const done = await child.finished;
  return { stdout: done.stdout, stderr: done.stderr, warnings: done.stderr.split('\n').filter((l) => l.startsWith('mcptrail warn:')) };
}

function expectJsonRpcOnly(stdout: string): void {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
}

describe('one mcptrail warn: line per MCP SDK the hook cannot patch', () => {
  const receiver = new OtlpReceiver();
  const serverSpans = (service: string) =>
    receiver.spans().filter((s) => s.resource[ATTR_SERVICE_NAME] === service && s.kind === SPAN_KIND.SERVER);
  let esmApp: string;
  let oldSdkApp: string;
  let bundle: string;

  beforeAll(async () => {
    await receiver.start();
    // An ES-module application depending on the 2.x server package.
    esmApp = path.join(CACHE, 'esm-app');
    mkdirSync(esmApp, { recursive: true });
    writeFileSync(
      path.join(esmApp, 'package.json'),
      JSON.stringify({ name: 'esm-app', private: true, type: 'module', dependencies: { '@modelcontextprotocol/server': '^2.0.0' } }),
    );
    cpSync(fixture('v2-server.mjs'), path.join(esmApp, 'server.js'));
    // An application on @modelcontextprotocol/sdk 1.12.3 (older than the supported 1.13.0), under its real name.
    oldSdkApp = path.join(CACHE, 'sdk-1.12.3');
    cpSync(installedPackageDir('mcp-sdk-unsupported'), path.join(oldSdkApp, 'node_modules', '@modelcontextprotocol', 'sdk'), {
      recursive: true,
      dereference: true,
    });
    for (const f of ['v1-server.cjs', 'v1-server.mjs']) cpSync(fixture(f), path.join(oldSdkApp, f));
    // One CommonJS file with the 2.x SDK inlined, as a bundler ships it.
    const { build } = await import('rolldown');
    bundle = path.join(CACHE, 'bundle', 'server.cjs');
    await build({
      input: fixture('v2-server.mjs'),
      platform: 'node',
      logLevel: 'silent',
      output: { file: bundle, format: 'cjs', codeSplitting: false },
    });
  }, 60_000);

  afterAll(async () => {
    killAll();
    await receiver.close();
  });

  it('an ES-module server started with --require only: names the package, version and --import', async () => {
    const run = await serve(['--require', REGISTER, path.join(esmApp, 'server.js')], 'esm-under-require', receiver);
    expectJsonRpcOnly(run.stdout);
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toMatch(/@modelcontextprotocol\/server 2\.\d+\.\d+ is not instrumented: .*server\.js is an ES module/);
    expect(run.warnings[0]).toContain('--import @mcptrail/instrumentation-mcp/register');
    expect(run.warnings[0]).toContain('NODE_OPTIONS=');
  }, 90_000);

  it('control: the same server under --import is instrumented, with no warning', async () => {
    const run = await serve(['--import', REGISTER, path.join(esmApp, 'server.js')], 'esm-under-import', receiver);
    expectJsonRpcOnly(run.stdout);
    expect(run.warnings).toEqual([]);
    await receiver.waitFor(() => serverSpans('esm-under-import').length >= 2, 30_000, 'server spans under --import');
    // And the warned case really recorded nothing (the warning told the truth).
    expect(serverSpans('esm-under-require')).toEqual([]);
  }, 90_000);

  it('an SDK version outside the supported range, CommonJS and ESM: names it and the supported ranges', async () => {
    for (const [flag, file, service] of [
      ['--require', 'v1-server.cjs', 'old-sdk-cjs'],
      ['--import', 'v1-server.mjs', 'old-sdk-esm'],
    ] as const) {
      const run = await serve([flag, REGISTER, path.join(oldSdkApp, file)], service, receiver);
      expectJsonRpcOnly(run.stdout);
      expect(run.warnings, `${flag} ${file}`).toHaveLength(1);
      expect(run.warnings[0]).toContain('@modelcontextprotocol/sdk 1.12.3 is not instrumented');
      expect(run.warnings[0]).toContain('>=1.13.0 <2');
      expect(run.warnings[0]).toContain('>=2.0.0 <3');
    }
    expect(serverSpans('old-sdk-cjs')).toEqual([]);
    expect(serverSpans('old-sdk-esm')).toEqual([]);
  }, 90_000);

  it('a bundled copy of the SDK: says it is bundled and how to keep the packages external', async () => {
    const run = await serve(['--require', REGISTER, bundle], 'bundled', receiver);
    expectJsonRpcOnly(run.stdout);
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toMatch(/a bundled copy of the MCP SDK in .*server\.cjs .* is not instrumented/);
    expect(run.warnings[0]).toContain('--external:@modelcontextprotocol/*');
  }, 90_000);

  it('control: a supported SDK loaded from its package prints no warning', async () => {
    const run = await serve(['--require', REGISTER, path.join(FIXTURES_DIR, 'matrix', 'server.cjs')], 'supported', receiver);
    expect(run.warnings).toEqual([]);
  }, 90_000);
});
