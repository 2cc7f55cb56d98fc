import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ValueType, type Histogram } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { Hook as RequireHook } from 'require-in-the-middle';
import {
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  MCP_DURATION_BUCKETS_SECONDS,
} from '@mcptrail/conventions';
import type { Redactor } from '@mcptrail/redact';
import { CallRecorder, type ResolvedSettings } from './call-recorder';
import { McpInstrumentationError, invalidOption } from './errors';
import type { SdkAdapter } from './mcp-sdk/adapter';
import { isV1Version, v1Adapter, V1_MODULES, V1_PACKAGE, V1_VERSIONS, type V1ModuleName } from './mcp-sdk/v1';
import { isV2Version, v2Adapter, V2_PACKAGES, V2_VERSIONS, type V2PackageName } from './mcp-sdk/v2';
import { warnUnsupportedVersion } from './mcp-sdk/warn';
import { patchMcpServer, unpatchMcpServer } from './patch-mcp-server';
import { patchMultiRoundTrip, patchProtocol, unpatchMultiRoundTrip, unpatchProtocol, type Unwrap, type Wrap } from './patch-protocol';
import { buildRedactor, telemetryRedaction, type TelemetryRedaction } from './redaction';
import { ToolDefinitionRegistry } from './tool-definitions';
import type { McpClientAuditMode, McpInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const SDK = V1_PACKAGE;
/** Every version: the patch functions check the range themselves, so an unsupported SDK is never silent. */
const ANY_VERSION = ['*'];

/** 1.x SDK module files we patch, relative to `dist/{cjs,esm}/`, and the export holding the class. */
export const SDK_MODULES = V1_MODULES;
export type SdkModuleName = V1ModuleName;
/** 2.x package entries we patch (`@modelcontextprotocol/server`, `@modelcontextprotocol/client`). */
export const SDK_V2_PACKAGES = Object.keys(V2_PACKAGES) as V2PackageName[];

const CLIENT_AUDIT_MODES: readonly McpClientAuditMode[] = ['undelivered', 'all', 'off'];
const SETTINGS = Symbol('mcptrail.settings');
const CJS_HOOK = Symbol('mcptrail.cjsHook');

/**
 * OpenTelemetry instrumentation for the MCP TypeScript SDK (`@modelcontextprotocol/sdk` 1.x and
 * `@modelcontextprotocol/server`/`client` 2.x, one adapter per major in `mcp-sdk/`): spans, `mcp.audit.*` log records and
 * duration metrics for every MCP request on both Client and Server, with trace context in `params._meta`.
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // Symbol-keyed and declared (not initialised) because the base constructor calls setConfig()/enable()
  // before subclass field initialisers run.
  declare private [SETTINGS]: ResolvedSettings | undefined;
  declare private [CJS_HOOK]: RequireHook | undefined;
  declare private _redactor: Redactor | undefined;
  declare private _redaction: TelemetryRedaction | undefined;
  declare private _serverDuration: Histogram | undefined;
  declare private _clientDuration: Histogram | undefined;
  declare private _recorder: CallRecorder | undefined;
  declare private _definitions: ToolDefinitionRegistry | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  override setConfig(config: McpInstrumentationConfig = {}): void {
    const settings = resolveSettings(config);
    super.setConfig(config);
    this[SETTINGS] = settings;
    this._redactor = buildRedactor(config);
    this._redaction = telemetryRedaction(this._redactor);
  }

  /** The redactor this instrumentation uses (for sharing its HMAC key with a redacting processor). */
  get redactor(): Redactor {
    if (!this._redactor) this._redactor = buildRedactor(this.getConfig());
    return this._redactor;
  }

  protected override init() {
    const files: InstrumentationNodeModuleFile[] = [];
    for (const flavor of ['cjs', 'esm']) {
      for (const name of Object.keys(SDK_MODULES) as SdkModuleName[]) {
        files.push(
          new InstrumentationNodeModuleFile(
            `${SDK}/dist/${flavor}/${name}.js`,
            ANY_VERSION,
            (moduleExports, version) => this.patchV1File(moduleExports, name, version),
            (moduleExports) => this.unpatchSdkModule(moduleExports, name),
          ),
        );
      }
    }
    // The v1 definition stays first: `moduleDefinition` below relies on it.
    const v1 = new InstrumentationNodeModuleDefinition(SDK, ANY_VERSION, undefined, undefined, files);
    const v2 = SDK_V2_PACKAGES.map(
      (pkg) =>
        new InstrumentationNodeModuleDefinition(
          pkg,
          ANY_VERSION,
          (moduleExports, version) => this.patchV2Package(moduleExports, pkg, version),
          (moduleExports) => this.unpatchV2Package(moduleExports, pkg),
        ),
    );
    return [v1, ...v2];
  }

  private patchV1File<T>(moduleExports: T, name: SdkModuleName, version: string | undefined): T {
    if (!isV1Version(version)) {
      warnUnsupportedVersion(SDK, version, `${SDK} ${V1_VERSIONS} and @modelcontextprotocol/server|client ${V2_VERSIONS}`);
      return moduleExports;
    }
    return this.patchSdkModule(moduleExports, name);
  }

  /**
   * Patches the classes a 2.x package entry exports (`Protocol`, and `McpServer` on the server): the
   * escape hatch for bundlers and test runners whose loader bypasses Node's hooks, too. Undone by `disable()`.
   */
  patchV2Package<T>(moduleExports: T, pkg: V2PackageName, version?: string): T {
    if (version !== undefined && !isV2Version(version)) {
      warnUnsupportedVersion(pkg, version, `${pkg} ${V2_VERSIONS} and ${SDK} ${V1_VERSIONS}`);
      return moduleExports;
    }
    const names = V2_PACKAGES[pkg];
    if (!names) {
      throw new McpInstrumentationError('MCPTRAIL_ERR_INSTR_UNKNOWN_MODULE', `patchV2Package: unknown package ${JSON.stringify(pkg)}`);
    }
    const exportsObj = moduleExports as Record<string, unknown> | undefined;
    const protocol = exportsObj?.[names.protocol];
    const mcpServer = names.mcpServer ? exportsObj?.[names.mcpServer] : undefined;
    try {
      if (typeof protocol === 'function') this.patchProtocolClass(protocol.prototype, v2Adapter);
      else this._diag.warn(`mcptrail: ${pkg} has no ${names.protocol} export; not patched`);
      if (typeof mcpServer === 'function') {
        patchMcpServer(mcpServer.prototype, this.wrapFn, { recorder: this.recorder, definitions: this.definitions });
      }
      const client = names.client ? exportsObj?.[names.client] : undefined;
      if (typeof client === 'function') patchMultiRoundTrip(client.prototype, this.wrapFn, this.recorder, v2Adapter);
      this.rememberManualPatch(moduleExports, pkg);
    } catch (err) {
      this._diag.error(`mcptrail: could not patch ${pkg}`, err);
    }
    return moduleExports;
  }

  unpatchV2Package<T>(moduleExports: T, pkg: V2PackageName): T {
    const names = V2_PACKAGES[pkg];
    const exportsObj = moduleExports as Record<string, unknown> | undefined;
    const protocol = exportsObj?.[names.protocol];
    const mcpServer = names.mcpServer ? exportsObj?.[names.mcpServer] : undefined;
    if (typeof protocol === 'function') unpatchProtocol(protocol.prototype, this.unwrapFn, v2Adapter);
    if (typeof mcpServer === 'function') unpatchMcpServer(mcpServer.prototype, this.unwrapFn);
    const client = names.client ? exportsObj?.[names.client] : undefined;
    if (typeof client === 'function') unpatchMultiRoundTrip(client.prototype, this.unwrapFn);
    return moduleExports;
  }

  private patchProtocolClass(proto: object, sdk: SdkAdapter): void {
    patchProtocol(proto, this.wrapFn, {
      sdk,
      recorder: this.recorder,
      diag: this._diag,
      emitLog: (r) => this.logger.emit(r),
      auditEnabled: () => this.settings.auditLogs,
    });
  }

  /**
   * The base class hooks `require` through a shared hook that resolves the package main first; the SDK has
   * none, so that never fires for `dist/cjs/*`. A require hook with the files named explicitly does.
   * (ESM `import` is covered by the base class's import-in-the-middle hook.)
   */
  override enable(): void {
    super.enable();
    if (this[CJS_HOOK]) return;
    // require-in-the-middle names a package-internal file `<package>/<path without .js>`.
    const byRequireName = new Map(
      (Object.keys(SDK_MODULES) as SdkModuleName[]).map((n) => [`${SDK}/dist/cjs/${n}`, `${SDK}/dist/cjs/${n}.js`]),
    );
    this[CJS_HOOK] = new RequireHook([...byRequireName.keys()], { internals: true }, (exports, name, baseDir) => {
      const file = byRequireName.get(name.split(path.sep).join('/').replace(/\.js$/, ''));
      if (!file) return exports;
      const definition = this.moduleDefinition;
      const version = baseDir ? readPackageVersion(baseDir) : undefined;
      if (definition) definition.moduleVersion = version;
      const fileDef = definition?.files.find((f) => f.name === file);
      if (!fileDef) return exports;
      if (!isV1Version(version)) {
        warnUnsupportedVersion(SDK, version, `${SDK} ${V1_VERSIONS} and @modelcontextprotocol/server|client ${V2_VERSIONS}`);
        return exports;
      }
      fileDef.moduleExports = exports;
      return this.isEnabled() ? (fileDef.patch(exports, version) as typeof exports) : exports;
    });
  }

  /**
   * Patches one SDK module's exports in place: the escape hatch for bundlers and test runners whose own
   * module loader bypasses Node's require/import hooks. `name` is `'shared/protocol'` or `'server/mcp'`.
   * Idempotent; undone by `disable()`.
   */
  patchSdkModule<T>(moduleExports: T, name: SdkModuleName): T {
    const cls = this.classOf(moduleExports, name);
    if (!cls) return moduleExports;
    try {
      const proto = cls.prototype as Record<string, unknown>;
      if (name === 'shared/protocol') {
        this.patchProtocolClass(proto, v1Adapter);
      } else {
        patchMcpServer(proto, this.wrapFn, { recorder: this.recorder, definitions: this.definitions });
      }
      this.rememberManualPatch(moduleExports, name);
    } catch (err) {
      this._diag.error(`mcptrail: could not patch ${name}`, err);
    }
    return moduleExports;
  }

  /** Restores what patchSdkModule changed. */
  unpatchSdkModule<T>(moduleExports: T, name: SdkModuleName): T {
    const cls = this.classOf(moduleExports, name);
    if (!cls) return moduleExports;
    if (name === 'shared/protocol') unpatchProtocol(cls.prototype, this.unwrapFn, v1Adapter);
    else unpatchMcpServer(cls.prototype, this.unwrapFn);
    return moduleExports;
  }

  override disable(): void {
    super.disable();
    // Modules patched by hand (patchSdkModule) are not known to the base class.
    for (const [exports, name] of this.manualPatches) {
      if (name in V2_PACKAGES) this.unpatchV2Package(exports, name as V2PackageName);
      else this.unpatchSdkModule(exports, name as SdkModuleName);
    }
    this.manualPatches.clear();
  }

  protected override _updateMetricInstruments(): void {
    const advice = { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS_SECONDS] };
    this._serverDuration = this.meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      description: 'Duration of MCP requests handled by this process (server side of the exchange).',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice,
    });
    this._clientDuration = this.meter.createHistogram(METRIC_MCP_CLIENT_OPERATION_DURATION, {
      description: 'Duration of MCP requests sent by this process (client side of the exchange).',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice,
    });
  }

  private get settings(): ResolvedSettings {
    this[SETTINGS] ??= resolveSettings(this.getConfig());
    return this[SETTINGS];
  }

  private get redaction(): TelemetryRedaction {
    this._redaction ??= telemetryRedaction(this.redactor);
    return this._redaction;
  }

  private get definitions(): ToolDefinitionRegistry {
    this._definitions ??= new ToolDefinitionRegistry({
      emitLog: (r) => this.logger.emit(r),
      diag: this._diag,
      redactDescription: (s) => this.redaction.text(s, 4096),
      enabled: (side) => this.settings.auditLogs && (side === 'server' || this.settings.clientAudit === 'all'),
    });
    return this._definitions;
  }

  private get recorder(): CallRecorder {
    this._recorder ??= new CallRecorder({
      tracer: () => this.tracer,
      diag: this._diag,
      settings: () => this.settings,
      redaction: () => this.redaction,
      histograms: () => {
        if (!this._serverDuration || !this._clientDuration) this._updateMetricInstruments();
        return { server: this._serverDuration!, client: this._clientDuration! };
      },
      emitLog: (r) => this.logger.emit(r),
      definitions: this.definitions,
    });
    return this._recorder;
  }

  /** Wraps only what this SDK version has (shimmer would complain on stderr about the rest). */
  private readonly wrapFn: Wrap = (target, name, wrapper) => {
    if (typeof (target as Record<string, unknown>)[name] !== 'function') {
      this._diag.debug(`mcptrail: SDK has no ${name}; not wrapped`);
      return;
    }
    this._wrap(target as Record<string, any>, name, wrapper as any);
  };

  private readonly unwrapFn: Unwrap = (target, name) => {
    if (isWrapped((target as Record<string, unknown>)[name])) this._unwrap(target as Record<string, any>, name);
  };

  declare private manualPatchStore: Map<unknown, SdkModuleName | V2PackageName> | undefined;
  private get manualPatches(): Map<unknown, SdkModuleName | V2PackageName> {
    this.manualPatchStore ??= new Map();
    return this.manualPatchStore;
  }

  private rememberManualPatch(moduleExports: unknown, name: SdkModuleName | V2PackageName): void {
    const modules = (this as unknown as { _modules?: InstrumentationModuleDefinition[] })._modules ?? [];
    const known = modules.some((m) => m.moduleExports === moduleExports || m.files.some((f) => f.moduleExports === moduleExports));
    if (!known) this.manualPatches.set(moduleExports, name);
  }

  /**
   * The definition the base class holds (getModuleDefinitions() would call init() again and return fresh
   * objects, whose moduleExports the base class never sees when it re-patches on enable()).
   */
  private get moduleDefinition(): InstrumentationModuleDefinition | undefined {
    return (this as unknown as { _modules?: InstrumentationModuleDefinition[] })._modules?.[0];
  }

  private classOf(moduleExports: unknown, name: SdkModuleName): { prototype: object } | undefined {
    if (!(name in SDK_MODULES)) {
      throw new McpInstrumentationError(
        'MCPTRAIL_ERR_INSTR_UNKNOWN_MODULE',
        `patchSdkModule: unknown SDK module ${JSON.stringify(name)} (expected one of ${Object.keys(SDK_MODULES).join(', ')})`,
      );
    }
    const cls = (moduleExports as Record<string, unknown> | undefined)?.[SDK_MODULES[name]];
    if (typeof cls !== 'function' || !cls.prototype) {
      this._diag.warn(`mcptrail: ${name} has no ${SDK_MODULES[name]} export; not patched`);
      return undefined;
    }
    return cls as { prototype: object };
  }
}

function readPackageVersion(baseDir: string): string | undefined {
  try {
    const v = JSON.parse(readFileSync(path.join(baseDir, 'package.json'), 'utf8')).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Validates the options up front, so a typo fails at construction with the option's name. */
function resolveSettings(config: McpInstrumentationConfig): ResolvedSettings {
  const bool = (field: keyof McpInstrumentationConfig, fallback: boolean): boolean => {
    const v = config[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw invalidOption(field, 'a boolean', v);
    return v;
  };
  const fn = (field: 'requestHook' | 'responseHook' | 'ignoreRequestHook') => {
    const v = config[field];
    if (v !== undefined && typeof v !== 'function') throw invalidOption(field, 'a function', v);
  };
  fn('requestHook');
  fn('responseHook');
  fn('ignoreRequestHook');
  const clientAudit = config.clientAudit ?? 'undelivered';
  if (!CLIENT_AUDIT_MODES.includes(clientAudit)) {
    throw invalidOption('clientAudit', `one of ${CLIENT_AUDIT_MODES.join(', ')}`, clientAudit);
  }
  const codes = config.deniedErrorCodes ?? [];
  if (!Array.isArray(codes) || !codes.every((c) => Number.isSafeInteger(c))) {
    throw invalidOption('deniedErrorCodes', 'an array of integers', codes);
  }
  const maxLen = config.maxErrorMessageLength ?? 512;
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) {
    throw invalidOption('maxErrorMessageLength', 'a positive integer', maxLen);
  }
  if (config.redactor !== undefined && (typeof config.redactor !== 'object' || config.redactor === null)) {
    throw invalidOption('redactor', 'a Redactor from @mcptrail/redact', config.redactor);
  }
  return {
    captureArguments: bool('captureArguments', false),
    captureResults: bool('captureResults', false),
    scanResults: bool('scanResults', true),
    clientSpans: bool('clientSpans', true),
    auditLogs: bool('auditLogs', true),
    auditArguments: bool('auditArguments', true),
    clientAudit,
    deniedErrorCodes: new Set(codes),
    maxErrorMessageLength: maxLen,
    hooks: { requestHook: config.requestHook, responseHook: config.responseHook, ignoreRequestHook: config.ignoreRequestHook },
  };
}
