/**
 * Where configuration comes from, in precedence order: CLI flags > MCPTRAIL_* environment
 * variables > the YAML config file > schema defaults. Each source becomes a partial raw
 * object; the merged object is validated once, and an invalid key is reported with the
 * source that supplied it (`--port`, `MCPTRAIL_PORT`, `config.yaml: 'receiver.port'`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from './errors';
import { type ProcessorConfig, processorConfigSchema } from './schema';

type Kind = 'string' | 'int' | 'bool' | 'headers' | 'list';

/** One setting that can come from the environment and/or a flag. */
export interface SettingSource {
  key: string;
  env: string | null;
  flag: string | null;
  kind: Kind;
}

/** Environment variables and `serve` flags, and the key each one sets. */
export const SETTING_SOURCES: readonly SettingSource[] = [
  { key: 'store.path', env: 'MCPTRAIL_DB', flag: 'db', kind: 'string' },
  { key: 'receiver.host', env: 'MCPTRAIL_HOST', flag: 'host', kind: 'string' },
  { key: 'receiver.port', env: 'MCPTRAIL_PORT', flag: 'port', kind: 'int' },
  { key: 'receiver.token', env: 'MCPTRAIL_TOKEN', flag: 'token', kind: 'string' },
  { key: 'receiver.read_token', env: 'MCPTRAIL_READ_TOKEN', flag: 'read-token', kind: 'string' },
  { key: 'receiver.insecure_no_auth', env: null, flag: 'insecure-no-auth', kind: 'bool' },
  { key: 'receiver.tls_client_ca_file', env: 'MCPTRAIL_TLS_CLIENT_CA_FILE', flag: 'tls-client-ca', kind: 'string' },
  { key: 'receiver.allowed_hosts', env: 'MCPTRAIL_ALLOWED_HOSTS', flag: 'allowed-hosts', kind: 'list' },
  { key: 'receiver.trusted_proxies', env: 'MCPTRAIL_TRUSTED_PROXIES', flag: 'trusted-proxies', kind: 'list' },
  { key: 'receiver.grpc_port', env: 'MCPTRAIL_GRPC_PORT', flag: 'grpc-port', kind: 'int' },
  { key: 'receiver.max_body_bytes', env: 'MCPTRAIL_MAX_BODY_BYTES', flag: 'max-body-bytes', kind: 'int' },
  { key: 'receiver.tls_cert_file', env: 'MCPTRAIL_TLS_CERT_FILE', flag: 'tls-cert', kind: 'string' },
  { key: 'receiver.tls_key_file', env: 'MCPTRAIL_TLS_KEY_FILE', flag: 'tls-key', kind: 'string' },
  { key: 'trail.chain_id', env: 'MCPTRAIL_CHAIN_ID', flag: 'chain-id', kind: 'string' },
  { key: 'trail.replica_id', env: 'MCPTRAIL_REPLICA_ID', flag: 'replica-id', kind: 'string' },
  { key: 'store.state_dir', env: 'MCPTRAIL_STATE_DIR', flag: 'state-dir', kind: 'string' },
  { key: 'trail.signing_key_file', env: 'MCPTRAIL_SIGNING_KEY_FILE', flag: 'signing-key', kind: 'string' },
  { key: 'trail.key_dir', env: 'MCPTRAIL_KEY_DIR', flag: 'key-dir', kind: 'string' },
  { key: 'trail.public_key_file', env: 'MCPTRAIL_PUBLIC_KEY_FILE', flag: null, kind: 'string' },
  { key: 'trail.origin', env: 'MCPTRAIL_ORIGIN', flag: null, kind: 'string' },
  { key: 'witness.enabled', env: 'MCPTRAIL_WITNESS', flag: null, kind: 'bool' },
  { key: 'witness.dir', env: 'MCPTRAIL_WITNESS_DIR', flag: 'witness-dir', kind: 'string' },
  { key: 'trail.retention_days', env: 'MCPTRAIL_RETENTION_DAYS', flag: 'retention-days', kind: 'int' },
  { key: 'detection.rules_file', env: 'MCPTRAIL_RULES', flag: 'rules', kind: 'string' },
  { key: 'log_level', env: 'MCPTRAIL_LOG_LEVEL', flag: 'log-level', kind: 'string' },
  { key: 'sinks.stdout.alerts', env: 'MCPTRAIL_STDOUT_ALERTS', flag: 'stdout-alerts', kind: 'bool' },
  { key: 'sinks.file.path', env: 'MCPTRAIL_FILE_SINK', flag: 'file-sink', kind: 'string' },
  { key: 'sinks.webhook.url', env: 'MCPTRAIL_WEBHOOK_URL', flag: 'webhook-url', kind: 'string' },
  { key: 'sinks.webhook.secret', env: 'MCPTRAIL_WEBHOOK_SECRET', flag: null, kind: 'string' },
  { key: 'sinks.otlp.endpoint', env: 'MCPTRAIL_OTLP_ENDPOINT', flag: 'otlp-endpoint', kind: 'string' },
  { key: 'sinks.otlp.headers', env: 'MCPTRAIL_OTLP_HEADERS', flag: null, kind: 'headers' },
];

/** Names the config file; read by the CLI before anything else. */
export const CONFIG_FILE_ENV = 'MCPTRAIL_CONFIG';

export interface ConfigSources {
  /** Path of the YAML/JSON config file, if any (from `--config` or MCPTRAIL_CONFIG). */
  file?: string | null;
  /** Usually process.env. */
  env?: Record<string, string | undefined>;
  /** Parsed CLI flag values keyed by flag name without dashes (`retention-days`). */
  flags?: Record<string, string | boolean | undefined>;
}

type Raw = Record<string, unknown>;

function setPath(target: Raw, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Raw;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** Strings from env/flags → typed values; text that does not convert is passed on for the schema to reject by name. */
function convert(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
    case 'bool':
      return /^(1|true|yes|on)$/i.test(text) ? true : /^(0|false|no|off)$/i.test(text) ? false : text;
    case 'list':
      return text.split(',').map((v) => v.trim()).filter(Boolean);
    case 'headers':
      // OTEL_EXPORTER_OTLP_HEADERS format: k1=v1,k2=v2 (values may be percent-encoded).
      return Object.fromEntries(
        text
          .split(',')
          .map((pair) => pair.trim())
          .filter(Boolean)
          .map((pair) => {
            const eq = pair.indexOf('=');
            return eq < 0 ? [pair, ''] : [pair.slice(0, eq).trim(), safeDecode(pair.slice(eq + 1).trim())];
          }),
      );
    default:
      return text;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function readConfigFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError('MCPTRAIL_ERR_CONFIG_FILE_UNREADABLE', `${file}: cannot read the configuration file (${code})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError('MCPTRAIL_ERR_CONFIG_FILE_SYNTAX', `${file}: not valid YAML${where}: ${reason}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('MCPTRAIL_ERR_CONFIG_INVALID', `${file}: the top level must be a map of keys (got ${Array.isArray(doc) ? 'a list' : typeof doc})`);
  }
  return doc as Raw;
}

function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    const bothMaps = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev);
    // headers is a leaf map: a later source replaces it rather than merging into it.
    out[k] = bothMaps && k !== 'headers' ? deepMerge(prev as Raw, v as Raw) : v;
  }
  return out;
}

/** Resolve the configuration from all sources; throws ConfigError naming the key and its source. */
export function loadConfig(sources: ConfigSources = {}): ProcessorConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const origin = new Map<string, string>();
  const fileName = sources.file ? path.basename(sources.file) : null;

  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const fromEnv: Raw = {};
  const fromFlags: Raw = {};
  for (const s of SETTING_SOURCES) {
    const envValue = s.env ? env[s.env] : undefined;
    if (envValue !== undefined && envValue !== '') {
      setPath(fromEnv, s.key, convert(s.kind, envValue));
      origin.set(s.key, s.env as string);
    }
    const flagValue = s.flag ? flags[s.flag] : undefined;
    if (flagValue !== undefined) {
      setPath(fromFlags, s.key, typeof flagValue === 'boolean' ? flagValue : convert(s.kind, flagValue));
      origin.set(s.key, `--${s.flag}`);
    }
  }

  const merged = deepMerge(deepMerge(fromFile, fromEnv), fromFlags);
  const result = processorConfigSchema.safeParse(merged);
  if (result.success) return result.data;

  const messages = result.error.issues.map((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `'${base ? `${base}.` : ''}${k}'`).join(', ');
      return `${fileName ? `${fileName}: ` : ''}unknown key ${keys}`;
    }
    const source = origin.get(base);
    const where = source ?? (fileName ? `${fileName}: '${base}'` : `'${base}'`);
    return source ? `${source} ('${base}') ${issue.message}` : `${where} ${issue.message}`;
  });
  throw new ConfigError('MCPTRAIL_ERR_CONFIG_INVALID', messages.join('; '));
}
