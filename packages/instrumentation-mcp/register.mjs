// `node --import @mcptrail/instrumentation-mcp/register server.mjs`
//
// ESM entry: registers OpenTelemetry's import-in-the-middle loader so ES modules
// of @modelcontextprotocol/sdk can be patched, then runs the CommonJS register.
// The loader only wraps modules an instrumentation asked for (the add-hook
// message channel), not every module of the application.
import { createRequire } from 'node:module';
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

function notInstrumented(error) {
  try {
    process.stderr.write(`mcptrail: not instrumented: ${error instanceof Error ? error.message : String(error)}\n`);
  } catch {
    // stderr gone: stay silent rather than break the host.
  }
}

/** The ESM files of @modelcontextprotocol/sdk the instrumentation patches (SDK_MODULES), as one URL pattern. */
function sdkEsmFiles() {
  const { SDK_MODULES } = require('./dist/index.js');
  const names = Object.keys(SDK_MODULES).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`/node_modules/@modelcontextprotocol/sdk/dist/esm/(${names.join('|')})\\.js$`);
}

let waitForHooks;
try {
  if (typeof nodeModule.register !== 'function') {
    throw new Error(`module.register is unavailable on Node ${process.versions.node} (needs >= 20.6)`);
  }
  // Resolve import-in-the-middle from @opentelemetry/instrumentation, so the
  // channel is set up on the very instance the instrumentation sends hooks through.
  const fromInstrumentation = createRequire(require.resolve('@opentelemetry/instrumentation'));
  const iitm = fromInstrumentation('import-in-the-middle');
  const hookUrl = pathToFileURL(require.resolve('@opentelemetry/instrumentation/hook.mjs')).href;
  if (typeof iitm.createAddHookMessageChannel === 'function') {
    const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
    // Hooks arrive by package name, but the SDK is imported by subpath (`…/server/mcp.js`) and its
    // files import each other relatively: match its ESM build by URL so those files are wrapped too.
    registerOptions.data.include.push(sdkEsmFiles());
    nodeModule.register(hookUrl, import.meta.url, registerOptions);
    waitForHooks = waitForAllMessagesAcknowledged;
  } else {
    nodeModule.register(hookUrl, import.meta.url);
  }
  // Tells the CommonJS register that ES modules are covered (no "ESM under --require" warning).
  globalThis[Symbol.for('mcptrail.instrumentation-mcp.esmLoader')] = true;
  require('./dist/register.js');
} catch (error) {
  notInstrumented(error);
}

if (waitForHooks) {
  try {
    // The loader must know which modules to wrap before the application imports them.
    await waitForHooks();
  } catch (error) {
    notInstrumented(error);
  }
}
