import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FIXTURES_DIR, otlpEnv, PACKAGE_DIR, spawnNode, waitForPort } from './processes';

/**
 * One SDK version of the test matrix: a directory holding the matrix fixtures, where the bare specifiers
 * (`@modelcontextprotocol/sdk/…`, `@modelcontextprotocol/server`, `…/client`) resolve to that version under
 * their real package names, as in a user's install. Older versions come from the npm aliases in
 * devDependencies (`mcp-sdk-oldest`, `mcp-server-2-0`, `mcp-client-2-0`), copied (not linked: Node resolves
 * links to their real path, whose package name would be the alias).
 */
export interface SdkVersion {
  label: string;
  major: 1 | 2;
  /** The directory the fixtures run from. */
  root: string;
  /** An unknown tool is a -32602 error (2.x, and 1.x before it became an isError result), not a tool error. */
  unknownToolIsRpcError: boolean;
  /** The server hands handlers the HTTP request headers (`mcp-protocol-version` on stateless requests). */
  seesRequestHeaders: boolean;
}

const requireHere = createRequire(__filename);
const CACHE = path.join(PACKAGE_DIR, 'node_modules', '.cache', 'mcptrail-sdk-matrix');

/** The installed directory of a package (exports maps hide `package.json`, so look on the resolution paths). */
export function installedPackageDir(name: string): string {
  for (const base of requireHere.resolve.paths(name) ?? []) {
    if (existsSync(path.join(base, name, 'package.json'))) return path.join(base, name);
  }
  throw new Error(`${name} is not installed (npm ci?)`);
}

function versionOf(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `aliases`: real package name → the alias it is installed under (empty: the version the repo uses). */
function prepare(
  label: string,
  major: 1 | 2,
  aliases: Record<string, string>,
  traits: Pick<SdkVersion, 'unknownToolIsRpcError' | 'seesRequestHeaders'>,
): SdkVersion {
  const root = path.join(CACHE, label);
  mkdirSync(root, { recursive: true });
  for (const [name, alias] of Object.entries(aliases)) {
    const target = path.join(root, 'node_modules', name);
    const source = installedPackageDir(alias);
    if (!existsSync(target) || versionOf(target) !== versionOf(source)) {
      cpSync(source, target, { recursive: true, dereference: true, force: true });
    }
  }
  // Fixtures are copied every run (cheap), so edits to them always apply.
  const matrix = path.join(FIXTURES_DIR, 'matrix');
  for (const file of readdirSync(matrix)) cpSync(path.join(matrix, file), path.join(root, file));
  return { label, major, root, ...traits };
}

function installedVersion(pkg: string): string {
  return versionOf(installedPackageDir(pkg));
}

/** 1.13.0 (oldest supported), 1.32.x (the repo's), 2.0.0, and the newest 2.x (the repo's). */
export function sdkVersions(): { v1Oldest: SdkVersion; v1: SdkVersion; v2First: SdkVersion; v2: SdkVersion } {
  return {
    v1Oldest: prepare(
      'sdk-1.13.0',
      1,
      { '@modelcontextprotocol/sdk': 'mcp-sdk-oldest' },
      { unknownToolIsRpcError: true, seesRequestHeaders: false },
    ),
    v1: prepare(`sdk-${installedVersion('@modelcontextprotocol/sdk')}`, 1, {}, { unknownToolIsRpcError: false, seesRequestHeaders: true }),
    v2First: prepare(
      'server-client-2.0.0',
      2,
      { '@modelcontextprotocol/server': 'mcp-server-2-0', '@modelcontextprotocol/client': 'mcp-client-2-0' },
      { unknownToolIsRpcError: true, seesRequestHeaders: true },
    ),
    v2: prepare(
      `server-client-${installedVersion('@modelcontextprotocol/server')}`,
      2,
      {},
      { unknownToolIsRpcError: true, seesRequestHeaders: true },
    ),
  };
}

/** One run of the matrix fixtures: `server.*` under the given node arguments, `agent.cjs` driving it. */
export interface FixturePair {
  name: string;
  receiverUrl: string;
  transport: 'http' | 'stdio';
  serverArgs: string[];
  serverEnv: Record<string, string>;
  agentArgs: string[];
  agentEnv: Record<string, string>;
  /** Where the agent writes its JSON result (`FIXTURE_RESULT_FILE`). */
  resultFile: string;
}

/**
 * Over HTTP the server is started here and the agent gets its URL; over stdio the agent spawns the server
 * itself from `FIXTURE_SERVER_ARGS`/`_ENV`. Returns the agent's result and the HTTP server's stderr.
 */
export async function runFixturePair<R>(pair: FixturePair): Promise<{ result: R; serverStderr: string }> {
  const agentEnv: Record<string, string> = { ...pair.agentEnv, FIXTURE_RESULT_FILE: pair.resultFile };
  let server: ReturnType<typeof spawnNode> | undefined;
  if (pair.transport === 'http') {
    server = spawnNode(pair.serverArgs, otlpEnv(pair.receiverUrl, { ...pair.serverEnv, FIXTURE_TRANSPORT: 'http' }), 60_000);
    const port = await waitForPort(server);
    Object.assign(agentEnv, { FIXTURE_TRANSPORT: 'http', FIXTURE_URL: `http://127.0.0.1:${port}/mcp` });
  } else {
    Object.assign(agentEnv, {
      FIXTURE_TRANSPORT: 'stdio',
      FIXTURE_SERVER_ARGS: JSON.stringify(pair.serverArgs),
      FIXTURE_SERVER_ENV: JSON.stringify({ ...pair.serverEnv, FIXTURE_TRANSPORT: 'stdio' }),
    });
  }
  const done = await spawnNode(pair.agentArgs, otlpEnv(pair.receiverUrl, agentEnv), 60_000).finished;
  let serverStderr = '';
  if (server) {
    server.child.kill('SIGTERM');
    serverStderr = (await server.finished).stderr;
  }
  try {
    return { result: JSON.parse(readFileSync(pair.resultFile, 'utf8')) as R, serverStderr };
  } catch {
    throw new Error(`cell ${pair.name}: the agent wrote no result (exit ${done.code}); stderr:\n${done.stderr}`);
  }
}
