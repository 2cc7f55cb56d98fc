import { existsSync, readFile, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { warnOnce } from './warn';

/**
 * Start-up checks for the cases the module hooks cannot see, each reported as one `mcptrail warn:` line
 * on stderr: an ES-module application started with `--require` only (its ESM build of the SDK is never
 * patched), and an application bundle carrying its own copy of the SDK (no package path to hook).
 */

/** Set by `register.mjs` (the `--import` entry) before it loads the CommonJS register. */
export const ESM_LOADER_FLAG = Symbol.for('mcptrail.instrumentation-mcp.esmLoader');

export const SDK_PACKAGES = ['@modelcontextprotocol/sdk', '@modelcontextprotocol/server', '@modelcontextprotocol/client'] as const;

const START = '--import @mcptrail/instrumentation-mcp/register';
const BUNDLE_READ_LIMIT = 64 * 1024 * 1024;
/** Private field names every SDK copy (1.x and 2.x) contains, minified or not: the class keeps them. */
const SDK_MARKERS = ['_requestHandlerAbortControllers', '_responseHandlers'];

export function checkUnpatchableSdks(entry: string | undefined = process.argv[1]): void {
  const file = entry === undefined ? undefined : resolveEntry(entry);
  if (!file) return;
  if (!(globalThis as Record<symbol, unknown>)[ESM_LOADER_FLAG] && isEsModule(file)) warnEsmUnderRequire(file);
  checkBundledCopy(file);
}

function warnEsmUnderRequire(file: string): void {
  // The SDK packages the application declares; if it declares none (no manifest, a monorepo), any installed.
  const declared = declaredSdkPackages(file);
  for (const pkg of declared.length > 0 ? declared : SDK_PACKAGES) {
    const version = installedVersion(pkg, path.dirname(file));
    if (version === undefined) continue;
    warnOnce(
      `esm:${pkg}`,
      `${pkg} ${version} is not instrumented: ${file} is an ES module and this process was started with --require only, ` +
        `which cannot patch the SDK's ESM build; start node with ${START} (or NODE_OPTIONS="${START}"), which covers both module systems`,
    );
  }
}

/** Reads the entry file off the start-up path; a bundle is one file holding the SDK's classes. */
function checkBundledCopy(file: string): void {
  if (/[\\/]node_modules[\\/]@modelcontextprotocol[\\/]/.test(file)) return;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size > BUNDLE_READ_LIMIT) return;
  readFile(file, 'utf8', (err, text) => {
    if (err || !SDK_MARKERS.every((m) => text.includes(m))) return;
    warnOnce(
      `bundle:${file}`,
      `a bundled copy of the MCP SDK in ${file} (version unknown: a bundle keeps no package.json) is not instrumented: ` +
        `mark @modelcontextprotocol/* as external in the bundler (esbuild --external:@modelcontextprotocol/*) so the hook sees the packages, ` +
        `or call McpInstrumentation.patchSdkModule()/patchV2Package() with the bundled classes`,
    );
  });
}

function resolveEntry(entry: string): string | undefined {
  const candidates = [entry, `${entry}.js`, `${entry}.mjs`, `${entry}.cjs`, path.join(entry, 'index.js')];
  for (const candidate of candidates) {
    try {
      const full = path.resolve(candidate);
      if (statSync(full).isFile()) return full;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

interface Manifest {
  type?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
}

/** The nearest package.json above a file (the one Node reads `type` from). */
function manifestOf(file: string): Manifest | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')) as Manifest;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function isEsModule(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  return manifestOf(file)?.type === 'module';
}

function declaredSdkPackages(file: string): string[] {
  const m = manifestOf(file);
  const deps = { ...m?.optionalDependencies, ...m?.devDependencies, ...m?.dependencies };
  return SDK_PACKAGES.filter((pkg) => pkg in deps);
}

/** The version of `pkg` as Node would find it from `fromDir` (exports maps hide package.json from resolve). */
function installedVersion(pkg: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const manifest = path.join(dir, 'node_modules', pkg, 'package.json');
      if (existsSync(manifest)) {
        try {
          const v = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
          return typeof v === 'string' ? v : 'unknown';
        } catch {
          return 'unknown';
        }
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
