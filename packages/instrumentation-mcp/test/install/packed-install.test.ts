/**
 * The packed tarballs (`npm run pack`) installed the way a user would: an empty project, one
 * `npm install` with the user's OpenTelemetry JS line. Once with 2.x (sdk-node 0.221, on this Node)
 * and once with 3.x (sdk-node 0.30x, on Node >= 22.15: this Node or the npm `node` package's 24).
 * npm must print no peer-dependency or engine warning, and both apps must export spans and
 * audit log records to a loopback OTLP receiver.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_MCP_METHOD_NAME } from '@mcptrail/conventions';
import { OtlpReceiver } from '../helpers/otlp-receiver';
import { tempDir, type TempDir } from '../helpers/processes';

const REPO = path.resolve(__dirname, '../../../..');
/** npm's CLI script, run with the leg's Node: from `npm test`, beside this Node, or the `npm` on PATH. */
const NPM_CLI = [
  process.env.npm_execpath,
  path.join(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js'),
  (() => {
    try {
      return realpathSync(execFileSync('which', ['npm'], { encoding: 'utf8' }).trim());
    } catch {
      return undefined;
    }
  })(),
].find((file): file is string => file?.endsWith('npm-cli.js') === true && existsSync(file)) as string;

/** A Node that runs OpenTelemetry JS 3.x (>= 22.15): this one, or 24 from the npm `node` package. */
function node3x(): string {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath;
  return execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], { encoding: 'utf8', timeout: 120_000 }).trim();
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>, timeoutMillis: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...userEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMillis} ms\n${stderr}`));
    }, timeoutMillis);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * This npm's global config file (`<prefix>/etc/npmrc`, where a machine keeps its registry CA or proxy). npm finds
 * it from the prefix of the Node running it, so a leg's own Node (24 from the npm `node` package) would miss it:
 * name it explicitly, as `npm run` does for its scripts.
 */
function npmGlobalConfig(): string | undefined {
  if (process.env.npm_config_globalconfig) return process.env.npm_config_globalconfig;
  const file = path.resolve(path.dirname(NPM_CLI), '../../../../etc/npmrc');
  return existsSync(file) ? file : undefined;
}

/**
 * The environment of a user's shell: no npm run-script config (a child npm would obey it), no OTEL_ settings;
 * the machine's npm config files are kept (a registry behind a TLS-inspecting proxy needs its CA file).
 */
function userEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(npm_|OTEL_|MCPTRAIL_|NODE_OPTIONS$|NODE_PATH$|VITEST|INIT_CWD$)/i.test(key)) out[key] = value;
  }
  const globalConfig = npmGlobalConfig();
  if (globalConfig) out.npm_config_globalconfig = globalConfig;
  if (process.env.npm_config_userconfig) out.npm_config_userconfig = process.env.npm_config_userconfig;
  return out;
}

/** npm lines that would mean our packages do not fit the user's SDK or Node. */
const BAD_NPM_LINE = /ERESOLVE|peer dep|overriding peer|EBADENGINE|invalid/i;

const LEGS = [
  { line: '2.x', api: '1.9.1', sdkNode: '0.221.0', node: () => process.execPath, register: true },
  { line: '3.x', api: '1.10.0', sdkNode: '0.301.0', node: node3x, register: false },
] as const;

let packs: TempDir;
let tarballs: Record<string, string>;

beforeAll(() => {
  packs = tempDir('packs');
  const out = execFileSync(process.execPath, [path.join(REPO, 'scripts/pack.mjs'), packs.path, '--no-build'], { encoding: 'utf8' });
  tarballs = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((file) => [path.basename(file).replace(/^mcptrail-(.*)-\d+\.\d+\.\d+\.tgz$/, '$1'), file]),
  );
}, 120_000);

afterAll(() => packs?.remove());

describe.each(LEGS)('packed tarballs with OpenTelemetry JS $line', (leg) => {
  let project: TempDir;
  let nodeBin: string;
  let install: Run;
  const receiver = new OtlpReceiver();

  beforeAll(async () => {
    nodeBin = leg.node();
    project = tempDir(`install-${leg.line}`);
    writeFileSync(project.file('package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true }));
    copyFileSync(path.join(__dirname, 'app.cjs'), project.file('app.cjs'));
    const ours = ['conventions', 'redact', 'instrumentation-mcp', ...(leg.register ? ['register'] : [])].map((n) => tarballs[n] as string);
    install = await run(
      nodeBin,
      [
        NPM_CLI,
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...ours,
        `@opentelemetry/api@${leg.api}`,
        `@opentelemetry/sdk-node@${leg.sdkNode}`,
        '@modelcontextprotocol/sdk@1.32.2',
        'zod@4',
      ],
      project.path,
      {},
      240_000,
    );
    await receiver.start();
  }, 300_000);

  afterAll(async () => {
    await receiver.close();
    project?.remove();
  });

  it('installs with no peer-dependency or engine warning', () => {
    expect(install.code, install.stderr).toBe(0);
    const bad = `${install.stdout}\n${install.stderr}`.split('\n').filter((l) => BAD_NPM_LINE.test(l));
    expect(bad).toEqual([]);
    // One copy of the API: ours resolves to the user's.
    const ls = execFileSync(nodeBin, [NPM_CLI, 'ls', '@opentelemetry/api', '--all', '--parseable'], { cwd: project.path, encoding: 'utf8', env: userEnv() });
    expect(ls.trim().split('\n').filter((l) => l.endsWith(path.join('node_modules', '@opentelemetry', 'api')))).toHaveLength(1);
  });

  const modes = leg.register ? (['sdk', 'register', 'register-import'] as const) : (['sdk'] as const);
  it.each(modes)('exports spans and audit records to a loopback receiver (%s)', async (mode) => {
    const before = { spans: receiver.spans().length, logs: receiver.logs().length };
    const args =
      mode === 'register'
        ? ['--require', '@mcptrail/register', 'app.cjs']
        : mode === 'register-import'
          ? ['--import', '@mcptrail/register', 'app.cjs']
          : ['app.cjs'];
    const app = await run(
      nodeBin,
      args,
      project.path,
      {
        APP_MODE: mode === 'sdk' ? 'sdk' : 'register',
        OTEL_SERVICE_NAME: `install-${leg.line}-${mode}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOG_LEVEL: 'warn',
      },
      60_000,
    );
    expect(app.code, app.stderr).toBe(0);
    expect(app.stdout).toBe('');
    expect(app.stderr).toContain(`otel-sdk-node ${mode === 'sdk' ? leg.sdkNode : '0.221.0'}`);
    const spans = receiver.spans().slice(before.spans).filter((s) => s.resource['service.name'] === `install-${leg.line}-${mode}`);
    const logs = receiver.logs().slice(before.logs).filter((l) => l.resource['service.name'] === `install-${leg.line}-${mode}`);
    expect(spans.filter((s) => s.attributes[ATTR_MCP_METHOD_NAME] === 'tools/call').length, receiver.summary()).toBe(2);
    expect(logs.filter((l) => l.attributes['event.name'] === 'mcp.audit.tool_call' || l.eventName === 'mcp.audit.tool_call').length, receiver.summary()).toBeGreaterThanOrEqual(1);
  }, 90_000);
});

it('ships a committed mcptrail bin in the processor tarball', () => {
  expect(existsSync(tarballs.processor as string)).toBe(true);
  const list = execFileSync('tar', ['tzf', tarballs.processor as string], { encoding: 'utf8' });
  expect(list).toContain('package/bin/mcptrail.js');
});
