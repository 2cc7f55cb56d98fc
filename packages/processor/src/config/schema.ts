/**
 * The processor's configuration: one zod schema is the single source of the keys, their
 * types, defaults and documentation. The YAML file uses these snake_case keys; environment
 * variables and CLI flags map onto them (./sources.ts). The README table is tested against
 * `configKeys()` so the doc and the schema cannot drift.
 */
import { z } from 'zod';
import { IDENTITY_MISMATCH_ACTIONS } from '../audit/identity';
import { webhookUrlProblem } from '../sinks/webhook-target';
import { listenerIssues } from './listener';

const positiveInt = (what = 'must be a positive integer') =>
  z.number({ error: what }).int({ error: what }).positive({ error: what });
const nonNegativeInt = (what = 'must be a non-negative integer') =>
  z.number({ error: what }).int({ error: what }).nonnegative({ error: what });
const nonEmpty = (what = 'must be a non-empty string') => z.string({ error: what }).min(1, { error: what });
const bool = () => z.boolean({ error: 'must be true or false' });
const nullableString = () => nonEmpty().nullable();

export const LOG_LEVEL_VALUES = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export const FSYNC_POLICIES = ['always', 'interval', 'never'] as const;
export const OTLP_SINK_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

const receiver = z
  .strictObject({
    host: nonEmpty().default('127.0.0.1').describe('Interface to listen on. Use 0.0.0.0 to accept remote exporters (then set a token and TLS).'),
    port: z
      .number({ error: 'must be an integer from 0 to 65535' })
      .int({ error: 'must be an integer from 0 to 65535' })
      .min(0, { error: 'must be an integer from 0 to 65535' })
      .max(65535, { error: 'must be an integer from 0 to 65535' })
      .default(4318)
      .describe('TCP port of the OTLP/HTTP receiver and the query API; 0 picks a free port.'),
    grpc_port: z
      .number({ error: 'must be an integer from 0 to 65535, or null' })
      .int({ error: 'must be an integer from 0 to 65535, or null' })
      .min(0, { error: 'must be an integer from 0 to 65535, or null' })
      .max(65535, { error: 'must be an integer from 0 to 65535, or null' })
      .nullable()
      .default(null)
      .describe('Also serve OTLP/gRPC on this port (4317 by convention; the Collector load_balancing exporter speaks only gRPC). Same host, token, TLS and size cap. null disables it.'),
    max_body_bytes: positiveInt().default(8 * 1024 * 1024).describe('Largest request body accepted, measured after gzip decompression (413 past it).'),
    token: nullableString()
      .default(null)
      .describe('Write (emitter) bearer token for /v1/* and OTLP/gRPC, allowed to assert any service.name; it cannot read /api/*. Per-emitter tokens: auth.credentials.'),
    read_token: nullableString().default(null).describe('Read bearer token for /api/* (and the console); it cannot send OTLP.'),
    tls_cert_file: nullableString().default(null).describe('PEM certificate: serve HTTPS when set together with tls_key_file.'),
    tls_key_file: nullableString().default(null).describe('PEM private key for tls_cert_file.'),
    tls_client_ca_file: nullableString()
      .default(null)
      .describe('mTLS: require a client certificate signed by this PEM CA; the certificate subject CN selects the credential (auth.credentials[].cert_cn).'),
    insecure_no_auth: bool()
      .default(false)
      .describe('Allow a non-loopback host without any credential (token, read_token, auth.credentials or mTLS). Without it such a start is refused.'),
    allowed_hosts: z
      .array(nonEmpty(), { error: 'must be a list of host names' })
      .default([])
      .describe('Host header names accepted besides IP literals, localhost and *.localhost (DNS-rebinding guard; `.example.com` allows subdomains, `*` disables the check). Other names get 421.'),
    allowed_origins: z
      .array(nonEmpty(), { error: 'must be a list of origins' })
      .default([])
      .describe('Origins (`https://console.example.com`) allowed to call besides the processor\'s own; a browser request from any other Origin gets 403.'),
    ingest_workers: nonNegativeInt()
      .default(1)
      .describe('Worker threads that decode and normalize request bodies of 64 KiB and more, so a large request never stalls acknowledgements or /healthz; 0 does it on the main thread.'),
    trusted_proxies: z
      .array(nonEmpty(), { error: 'must be a list of IP addresses or CIDR ranges' })
      .default([])
      .describe('Peers whose X-Forwarded-For is believed for the emitter address (IP or CIDR). Empty: the address is always the connection\'s.'),
  })
  .prefault({});

export const CREDENTIAL_ROLES = ['write', 'read'] as const;

const credential = z
  .strictObject({
    id: z
      .string({ error: 'must be 1-64 characters of [A-Za-z0-9._:@-]' })
      .regex(/^[A-Za-z0-9._:@-]{1,64}$/, { error: 'must be 1-64 characters of [A-Za-z0-9._:@-]' })
      .describe('Name of the credential, recorded in every audit record it sends (`credential_id`).'),
    role: z.enum(CREDENTIAL_ROLES, { error: `must be one of ${CREDENTIAL_ROLES.join(', ')}` }).default('write'),
    token: nullableString().default(null),
    token_sha256: z
      .string({ error: 'must be 64 hex characters' })
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex characters' })
      .nullable()
      .default(null),
    cert_cn: nullableString().default(null),
    services: z.array(nonEmpty(), { error: 'must be a list of service.name globs' }).default(['*']),
    actors: z.array(nonEmpty(), { error: 'must be a list of enduser.id globs' }).default(['*']),
  })
  .superRefine((c, ctx) => {
    const ways = [c.token, c.token_sha256, c.cert_cn].filter((v) => v !== null).length;
    if (ways !== 1) ctx.addIssue({ code: 'custom', path: ['token'], message: 'needs exactly one of token, token_sha256, cert_cn' });
  });

const auth = z
  .strictObject({
    credentials: z
      .array(credential, { error: 'must be a list of credentials' })
      .default([])
      .describe('Per-emitter (write) and reader credentials: `{id, role, token | token_sha256 | cert_cn, services, actors}`; `services`/`actors` are globs of the service.name and enduser.id values a write credential may assert.'),
    identity_mismatch: z
      .enum(IDENTITY_MISMATCH_ACTIONS, { error: `must be one of ${IDENTITY_MISMATCH_ACTIONS.join(', ')}` })
      .default('reject')
      .describe('A record asserting a service.name or enduser.id its credential does not own: `reject` (counted in OTLP partial_success, never stored) or `flag` (stored with `identity_flags`).'),
  })
  .prefault({});

const store = z
  .strictObject({
    path: nonEmpty()
      .default('./mcptrail.db')
      .describe('SQLite file of the audit trail (created on first start, WAL mode), or a `postgres://` URL for a trail shared by several replicas.'),
    state_dir: nullableString()
      .default(null)
      .describe("With PostgreSQL: directory of this replica's local detection state (`mcptrail-<replica_id>.state.db`); null → the working directory."),
  })
  .prefault({});

const trail = z
  .strictObject({
    chain_id: z
      .string({ error: 'must be 1-64 characters of [A-Za-z0-9._-]' })
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1-64 characters of [A-Za-z0-9._-]' })
      .default('main')
      .describe("This replica's hash chain (SQLite)."),
    replica_id: z
      .string({ error: 'must be 1-64 characters of [A-Za-z0-9._-]' })
      .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1-64 characters of [A-Za-z0-9._-]' })
      .nullable()
      .default(null)
      .describe('With PostgreSQL: this replica\'s id, which is also its hash chain; keep it stable across restarts. null → derived from the hostname.'),
    signing_key_file: nullableString()
      .default(null)
      .describe('Ed25519 PEM key that signs checkpoints (0600; refused when group or others can access it); null → `<trail.key_dir>/<trail name>.ed25519.pem`, created on first start.'),
    key_dir: nullableString()
      .default(null)
      .describe('Directory of the default signing key, never the database directory by default; null → `~/.mcptrail/keys` (created 0700).'),
    signer_command: z
      .array(nonEmpty(), { error: 'must be a list: the command and its arguments' })
      .nullable()
      .default(null)
      .describe('External signer (KMS, HSM, vault agent) instead of a key file: run with the note on stdin, prints the base64 Ed25519 signature. Needs trail.public_key_file.'),
    public_key_file: nullableString().default(null).describe('Public key PEM of trail.signer_command; each signature is checked against it.'),
    origin: nullableString().default(null).describe('Origin line of the checkpoint notes (a unique log name, e.g. `audit.example.com/mcptrail`); null → `mcptrail/<chain id>`.'),
    checkpoint_records: positiveInt().default(1000).describe('Sign a checkpoint after this many new records…'),
    checkpoint_seconds: positiveInt().default(60).describe('…or after this many seconds with new records, whichever comes first.'),
    pairing_window_ms: nonNegativeInt().default(2000).describe("How long a span waits for its audit log record (and vice versa) before it is sealed alone."),
    max_clock_ahead_seconds: positiveInt().default(300).describe("A record dated more than this ahead of the receiver's clock is stored as sent, flagged `clock_anomaly: ahead`, and placed at its receive time by detection."),
    max_clock_behind_seconds: positiveInt().default(900).describe('… or more than this behind it (`clock_anomaly: behind`). Raise it when exporters or a Collector queue buffer for longer.'),
    client_fallback_window_ms: nonNegativeInt()
      .default(30000)
      .describe('How long a client-side call waits for the server-side record of the same call before the client\'s is sealed as the record (servers you cannot instrument); 0 turns client-side records off.'),
    retention_days: positiveInt().nullable().default(null).describe('Purge whole checkpointed segments older than this; null keeps everything.'),
    sealer_thread: bool().default(true).describe('Pair and seal on a worker thread with its own store connection, beside the receiving thread (false: on the receiving thread; always false for a `:memory:` store).'),
  })
  .prefault({});

const witness = z
  .strictObject({
    enabled: bool().default(true).describe('Publish every checkpoint to a witness file outside the store (and to the sinks); `mcptrail verify` checks the store against it.'),
    dir: nullableString()
      .default(null)
      .describe("Directory of the witness files (`<trail name>.<chain id>.witness`); must not be the database's directory; null → `~/.mcptrail/witness`."),
  })
  .prefault({});

const detection = z
  .strictObject({
    enabled: bool().default(true).describe('Run baselines and alert rules on sealed records.'),
    rules_file: nullableString().default(null).describe('YAML rule file; null → the built-in rules (rules/default.yaml).'),
    tick_seconds: positiveInt().default(30).describe('Interval of time-based rules (a service that went silent) and of retention.'),
    lone_half_ms: nonNegativeInt()
      .default(250)
      .describe('A span or audit log record still without its partner after this long is detected at once, while it keeps waiting `trail.pairing_window_ms` to be sealed merged (counted once); 0: detected when sealed.'),
  })
  .prefault({});

const redaction = z
  .strictObject({
    keys: z
      .array(nonEmpty(), { error: 'must be a list of key names' })
      .default([])
      .describe('Extra sensitive key names for the processor’s re-redaction (matched case- and separator-insensitively).'),
    allow_keys: z
      .array(nonEmpty(), { error: 'must be a list of key names' })
      .default([])
      .describe('Key names never treated as sensitive by key rules (value rules still apply).'),
    high_entropy: bool().default(false).describe('Also mask long high-entropy strings (may catch ids and hashes).'),
  })
  .prefault({});

const stdoutSink = z
  .strictObject({
    alerts: bool().default(false).describe('Write each alert to stdout as one JSON line (NDJSON).'),
    records: bool().default(false).describe('Also write each sealed audit record to stdout.'),
  })
  .prefault({});

const fileSink = z
  .strictObject({
    path: nullableString().default(null).describe('Append alerts as NDJSON to this file; null disables the sink.'),
    records: bool().default(false).describe('Also append sealed audit records.'),
    fsync: z
      .enum(FSYNC_POLICIES, { error: `must be one of ${FSYNC_POLICIES.join(', ')}` })
      .default('always')
      .describe('`always`: fsync after every batch; `interval`: at most once a second; `never`: leave it to the OS.'),
  })
  .prefault({});

const webhookSink = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .nullable()
      .default(null)
      .describe('POST each alert as JSON to this URL; null disables the sink.'),
    secret: nullableString()
      .default(null)
      .describe('HMAC-SHA256 key: each attempt is signed in `X-Mcptrail-Signature: t=<unix seconds>,v1=<hex HMAC(secret, "<t>.<body>")>`. Required with url.'),
    records: bool().default(false).describe('Also POST sealed audit records (one request per record batch).'),
    max_attempts: positiveInt().default(5).describe('Attempts per delivery before it is dropped (and logged).'),
    backoff_ms: positiveInt().default(500).describe('First retry delay; doubles each attempt, with full jitter.'),
    timeout_ms: positiveInt().default(5000).describe('Per-request timeout.'),
    queue_size: positiveInt().default(1000).describe('Deliveries waiting at most; the oldest is dropped (and counted) past it.'),
    shutdown_timeout_ms: positiveInt()
      .default(10000)
      .describe('At shutdown, how long to keep delivering what is queued before the rest is dropped (and logged).'),
    dead_letter_file: nullableString()
      .default(null)
      .describe('Append deliveries that failed for good (last attempt, redirect, full queue, shutdown) to this NDJSON file (0600), for replay by hand; null only logs them.'),
    allow_link_local: bool()
      .default(false)
      .describe('Allow a webhook URL (or a name resolving to an address) in 169.254.0.0/16, fe80::/10 or a cloud-metadata address.'),
  })
  .prefault({});

const otlpSink = z
  .strictObject({
    endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .nullable()
      .default(null)
      .describe('OTLP/HTTP logs endpoint (full URL, e.g. http://collector:4318/v1/logs); null disables the sink.'),
    protocol: z
      .enum(OTLP_SINK_PROTOCOLS, { error: `must be one of ${OTLP_SINK_PROTOCOLS.join(', ')}` })
      .default('http/protobuf')
      .describe('Wire format of the export.'),
    headers: z
      .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be a map of header names to strings' })
      .default({})
      .describe('Extra request headers (e.g. an API key for the SIEM).'),
    records: bool().default(false).describe('Also export sealed audit records as `mcptrail.audit.record` log records.'),
    timeout_ms: positiveInt().default(10000).describe('Per-export timeout.'),
  })
  .prefault({});

export const processorConfigSchema = z
  .strictObject({
    log_level: z
      .enum(LOG_LEVEL_VALUES, { error: `must be one of ${LOG_LEVEL_VALUES.join(', ')}` })
      .default('info')
      .describe('Threshold of the JSON diagnostics written to stderr.'),
    receiver,
    auth,
    store,
    trail,
    witness,
    detection,
    redaction,
    sinks: z
      .strictObject({ stdout: stdoutSink, file: fileSink, webhook: webhookSink, otlp: otlpSink })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.receiver.tls_cert_file === null) !== (cfg.receiver.tls_key_file === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['receiver', cfg.receiver.tls_cert_file === null ? 'tls_cert_file' : 'tls_key_file'],
        message: 'must be set together with the other receiver.tls_* key',
      });
    }
    const hook = cfg.sinks.webhook.url === null ? null : new URL(cfg.sinks.webhook.url);
    if (hook && (hook.username || hook.password)) {
      // fetch refuses such URLs, and credentials in a URL end up in logs and process lists.
      ctx.addIssue({ code: 'custom', path: ['sinks', 'webhook', 'url'], message: 'must not contain user:password (the body is authenticated by its HMAC signature)' });
    }
    if (cfg.trail.signer_command !== null && cfg.trail.public_key_file === null) {
      ctx.addIssue({ code: 'custom', path: ['trail', 'public_key_file'], message: 'is required when trail.signer_command is set' });
    }
    for (const issue of listenerIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    const hookProblem = cfg.sinks.webhook.url === null ? null : webhookUrlProblem(cfg.sinks.webhook.url, cfg.sinks.webhook.allow_link_local);
    if (hookProblem) ctx.addIssue({ code: 'custom', path: ['sinks', 'webhook', 'url'], message: hookProblem });
    if (cfg.sinks.webhook.url !== null && cfg.sinks.webhook.secret === null) {
      ctx.addIssue({ code: 'custom', path: ['sinks', 'webhook', 'secret'], message: 'is required when sinks.webhook.url is set' });
    }
  });

export type ProcessorConfigInput = z.input<typeof processorConfigSchema>;
export type ProcessorConfig = z.output<typeof processorConfigSchema>;

export interface ConfigKeyDoc {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** Every leaf key of the schema with its JSON type, default and description (README, `--help`). */
export function configKeys(): ConfigKeyDoc[] {
  const root = z.toJSONSchema(processorConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const out: ConfigKeyDoc[] = [];
  const walk = (node: JsonSchemaNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (child.type === 'object' && child.properties) walk(child, key);
      else out.push({ key, type: typeName(child), default: child.default, description: child.description ?? '' });
    }
  };
  walk(root, '');
  return out;
}

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
}

function typeName(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.anyOf) return node.anyOf.map(typeName).join(' | ');
  if (node.type === 'object') return 'map';
  if (node.type === 'array') return 'list';
  return Array.isArray(node.type) ? node.type.join(' | ') : (node.type ?? 'any');
}
