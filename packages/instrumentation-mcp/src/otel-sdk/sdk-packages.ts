/**
 * Where `register` loads the OpenTelemetry SDK from. The library part of this package
 * (`McpInstrumentation`) needs only `@opentelemetry/api` and `@opentelemetry/instrumentation`, so it
 * works under a user's SDK of either line (2.x or 3.x). `register` pins one tested SDK line, which
 * comes with `@mcptrail/register`: that package hands its own `require` over before loading `register`,
 * so the pinned SDK is used even when the application has another line at the top of node_modules.
 * Without it, the SDK is resolved from here (the repository's dev dependencies, or the app's own).
 */
const LOADER = Symbol.for('mcptrail.register.sdk-require');

/** The SDK line `register` is tested with (`@opentelemetry/sdk-node` version prefix). */
export const PINNED_SDK_NODE = '0.221.';

type Loader = (id: string) => unknown;
type Global = typeof globalThis & { [LOADER]?: Loader };

export function sdkRequire<T>(id: string): T {
  const injected = (globalThis as Global)[LOADER];
  return (injected ?? require)(id) as T;
}

/** Throws a one-line reason when the SDK is missing or of a line `register` is not tested with. */
export function checkSdkLine(): void {
  let version: string;
  try {
    version = sdkRequire<{ version: string }>('@opentelemetry/sdk-node/package.json').version;
  } catch (error) {
    // 3.x packages have an exports map without `./package.json`.
    const found = (error as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? 'a newer line (3.x?)' : undefined;
    if (found === undefined) {
      throw new Error('the OpenTelemetry SDK is not installed: `npm install @mcptrail/register` (it pins the tested SDK line)');
    }
    version = found;
  }
  if (!version.startsWith(PINNED_SDK_NODE)) {
    throw new Error(
      `register is tested with @opentelemetry/sdk-node ${PINNED_SDK_NODE}x (OpenTelemetry JS 2.x), found ${version}: ` +
        'install @mcptrail/register, or add new McpInstrumentation() to your own NodeSDK',
    );
  }
}
