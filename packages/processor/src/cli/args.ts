/**
 * The command line grammar: commands, their options and help text, parsed with
 * node:util parseArgs (strict). A bad flag becomes a UsageError naming it (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

export const COMMANDS = ['serve', 'verify', 'prove', 'query', 'alerts', 'replay', 'export'] as const;
export type Command = (typeof COMMANDS)[number];

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  value?: string;
  help: string;
}

const COMMON: Record<string, OptionSpec> = {
  db: { type: 'string', value: 'PATH|URL', help: 'SQLite trail or postgres:// URL (default ./mcptrail.db; env MCPTRAIL_DB)' },
  'replica-id': { type: 'string', value: 'ID', help: 'with PostgreSQL: this replica and its chain (default: from the hostname; env MCPTRAIL_REPLICA_ID)' },
  'state-dir': { type: 'string', value: 'DIR', help: 'with PostgreSQL: where the replica keeps its detection state (env MCPTRAIL_STATE_DIR)' },
  config: { type: 'string', value: 'FILE', help: 'YAML config file (env MCPTRAIL_CONFIG)' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const JSON_OPT: Record<string, OptionSpec> = { json: { type: 'boolean', help: 'machine-readable output (NDJSON or one JSON document)' } };

const AUDIT_FILTERS: Record<string, OptionSpec> = {
  session: { type: 'string', value: 'ID', help: 'only this session (mcp.session.id)' },
  actor: { type: 'string', value: 'ID', help: 'only this actor (enduser.id)' },
  tool: { type: 'string', value: 'NAME', help: 'only this tool' },
  outcome: { type: 'string', value: 'OUTCOME', help: 'ok | error | tool_error | denied' },
  method: { type: 'string', value: 'METHOD', help: 'only this MCP method (tools/call, resources/read, …)' },
  service: { type: 'string', value: 'NAME', help: 'only this service.name' },
  'trace-id': { type: 'string', value: 'HEX', help: 'only this trace (32 hex chars)' },
  chain: { type: 'string', value: 'ID', help: 'only this hash chain' },
  since: { type: 'string', value: 'TIME', help: 'from this time (ISO 8601 or an age: 15m, 24h, 7d)' },
  until: { type: 'string', value: 'TIME', help: 'before this time (ISO 8601 or an age)' },
  'after-seq': { type: 'string', value: 'N', help: 'only records after this seq (paging within a chain)' },
  limit: { type: 'string', value: 'N', help: 'at most N records (1-1000, default 100)' },
};

const KEY_OPTS: Record<string, OptionSpec> = {
  'public-key': { type: 'string', value: 'FILE[,FILE]', help: 'Ed25519 public key PEM(s), comma-separated when replicas sign with their own keys (default: the one beside the signing key)' },
  'signing-key': { type: 'string', value: 'FILE', help: 'signing key whose public half to use' },
  'key-dir': { type: 'string', value: 'DIR', help: 'directory of the default signing key (env MCPTRAIL_KEY_DIR)' },
};

const RULES_OPT: Record<string, OptionSpec> = {
  rules: { type: 'string', value: 'FILE', help: 'alert rule file (default: built-in rules; env MCPTRAIL_RULES)' },
};

export const COMMAND_SPECS: Record<Command, { summary: string; usage: string; options: Record<string, OptionSpec> }> = {
  serve: {
    summary: 'receive OTLP, keep the audit trail, raise alerts, serve the query API',
    usage: 'mcptrail serve [options]',
    options: {
      ...COMMON,
      host: { type: 'string', value: 'HOST', help: 'listen address (default 127.0.0.1; env MCPTRAIL_HOST)' },
      port: { type: 'string', value: 'PORT', help: 'listen port, 0 = any free port (default 4318; env MCPTRAIL_PORT)' },
      'grpc-port': { type: 'string', value: 'PORT', help: 'also serve OTLP/gRPC on PORT (e.g. 4317; env MCPTRAIL_GRPC_PORT)' },
      token: { type: 'string', value: 'TOKEN', help: 'write (emitter) bearer token for OTLP (prefer env MCPTRAIL_TOKEN: flags show in ps)' },
      'read-token': { type: 'string', value: 'TOKEN', help: 'read bearer token for /api/* (prefer env MCPTRAIL_READ_TOKEN)' },
      'insecure-no-auth': { type: 'boolean', help: 'allow a non-loopback --host without any credential (not for production)' },
      'tls-client-ca': { type: 'string', value: 'FILE', help: 'mTLS: require client certificates signed by this PEM CA' },
      'allowed-hosts': { type: 'string', value: 'A,B', help: 'Host names served besides IPs and localhost (DNS-rebinding guard)' },
      'trusted-proxies': { type: 'string', value: 'A,B', help: 'proxies (IP/CIDR) whose X-Forwarded-For gives the emitter address' },
      'max-body-bytes': { type: 'string', value: 'N', help: 'body cap after decompression (default 8388608)' },
      'tls-cert': { type: 'string', value: 'FILE', help: 'serve HTTPS with this PEM certificate' },
      'tls-key': { type: 'string', value: 'FILE', help: 'PEM private key of --tls-cert' },
      'chain-id': { type: 'string', value: 'ID', help: "this replica's chain (default main)" },
      'signing-key': { type: 'string', value: 'FILE', help: 'Ed25519 checkpoint key (default <key dir>/<trail name>.ed25519.pem)' },
      'key-dir': { type: 'string', value: 'DIR', help: 'directory of the default signing key (default ~/.mcptrail/keys; env MCPTRAIL_KEY_DIR)' },
      'witness-dir': { type: 'string', value: 'DIR', help: 'directory of the witness files (default ~/.mcptrail/witness; env MCPTRAIL_WITNESS_DIR)' },
      'retention-days': { type: 'string', value: 'N', help: 'purge checkpointed segments older than N days' },
      ...RULES_OPT,
      'log-level': { type: 'string', value: 'LEVEL', help: 'debug | info | warn | error | silent (default info)' },
      'stdout-alerts': { type: 'boolean', help: 'write alerts to stdout as NDJSON' },
      'file-sink': { type: 'string', value: 'FILE', help: 'append alerts as NDJSON to FILE' },
      'webhook-url': { type: 'string', value: 'URL', help: 'POST alerts to URL (secret: env MCPTRAIL_WEBHOOK_SECRET)' },
      'otlp-endpoint': { type: 'string', value: 'URL', help: 'export alerts as OTLP logs to URL (…/v1/logs)' },
    },
  },
  verify: {
    summary: 'check the hash chains and checkpoint signatures; exit 0 only when intact',
    usage: 'mcptrail verify [--db PATH] [--public-key FILE] [--witness FILE|none] [--expect-size N] [--threads N] [--json]',
    options: {
      ...COMMON,
      ...JSON_OPT,
      ...KEY_OPTS,
      witness: { type: 'string', value: 'FILE[,FILE]|none', help: "witness file(s) to check the store against (default: this trail's files in the witness dir)" },
      'witness-dir': { type: 'string', value: 'DIR', help: 'where the default witness files are (env MCPTRAIL_WITNESS_DIR)' },
      'expect-size': { type: 'string', value: 'N|CHAIN=N', help: 'the chain must reach at least seq N (known from outside, e.g. an earlier verify)' },
      'allow-empty': { type: 'boolean', help: 'do not report a trail without records and checkpoints' },
      threads: { type: 'string', value: 'N', help: 'worker threads walking checkpoint segments in parallel (default: one per CPU; 1: walk on this thread)' },
    },
  },
  prove: {
    summary: 'print an RFC 9162 inclusion proof of a record, or a consistency proof between two checkpoints (JSON)',
    usage: 'mcptrail prove (--seq N [--size M] | --from M [--to N]) [--chain ID] [--db PATH]',
    options: {
      ...COMMON,
      ...JSON_OPT,
      ...KEY_OPTS,
      seq: { type: 'string', value: 'N', help: 'prove that record N is in the tree' },
      size: { type: 'string', value: 'M', help: 'against the checkpoint at tree size M (default: the newest)' },
      from: { type: 'string', value: 'M', help: 'prove that the checkpoint at tree size M is a prefix of…' },
      to: { type: 'string', value: 'N', help: '…the checkpoint at tree size N (default: the newest)' },
      chain: { type: 'string', value: 'ID', help: "the chain (default: this replica's)" },
    },
  },
  query: {
    summary: 'list audit records matching filters (newest first; --after-seq pages in chain order)',
    usage: 'mcptrail query [filters] [--json]',
    options: { ...COMMON, ...JSON_OPT, ...AUDIT_FILTERS },
  },
  alerts: {
    summary: 'list raised alerts',
    usage: 'mcptrail alerts [--rule ID] [--level LEVEL] [--since TIME] [--limit N] [--json]',
    options: {
      ...COMMON,
      ...JSON_OPT,
      ...RULES_OPT,
      rule: { type: 'string', value: 'ID', help: 'only this rule' },
      level: { type: 'string', value: 'LEVEL', help: 'informational | low | medium | high | critical' },
      since: { type: 'string', value: 'TIME', help: 'raised at or after this time (ISO 8601 or an age)' },
      limit: { type: 'string', value: 'N', help: 'at most N alerts (1-1000)' },
    },
  },
  replay: {
    summary: 'rebuild baselines and alert state from the trail (no sink output)',
    usage: 'mcptrail replay [--db PATH|URL] [--service A,B] [--rules FILE] [--json]',
    options: {
      ...COMMON,
      ...JSON_OPT,
      ...RULES_OPT,
      service: { type: 'string', value: 'A,B', help: "only these services (comma-separated): a replica's partition after re-routing" },
    },
  },
  export: {
    summary: 'write audit records as NDJSON (or the record JSON schema with --schema)',
    usage: 'mcptrail export [--since TIME] [--until TIME] [--chain ID] [--schema]',
    options: {
      ...COMMON,
      since: AUDIT_FILTERS.since as OptionSpec,
      until: AUDIT_FILTERS.until as OptionSpec,
      chain: AUDIT_FILTERS.chain as OptionSpec,
      schema: { type: 'boolean', help: 'print the audit record JSON schema and exit' },
    },
  },
};

export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  return [
    'usage: mcptrail <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.padEnd(width)}  ${COMMAND_SPECS[c].summary}`),
    '',
    "run 'mcptrail <command> --help' for the options of a command",
  ].join('\n');
}

export function commandUsage(command: Command): string {
  const spec = COMMAND_SPECS[command];
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [left, o.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return [`usage: ${spec.usage}`, '', spec.summary, '', 'options:', ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`)].join('\n');
}

export interface ParsedCommand {
  command: Command;
  values: Record<string, string | boolean | undefined>;
  help: boolean;
}

/** `argv` without node and script. `--help` alone → command null; no command at all is a usage error. */
export function parseCommandLine(argv: readonly string[]): ParsedCommand | { command: null; help: boolean } {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('a command is required', null);
  if (first === '--help' || first === '-h' || first === 'help') return { command: null, help: true };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`, null);
  }
  const command = first as Command;
  const options = Object.fromEntries(
    Object.entries(COMMAND_SPECS[command].options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
  ) as ParseArgsConfig['options'];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(describeParseError(err as Error & { code?: string }), command);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === 'string' && v.startsWith('--')) {
      throw new UsageError(`option '--${name}' needs a value (got '${v}', which looks like another option)`, command);
    }
  }
  return { command, values, help: values.help === true };
}

/** parseArgs messages are long and mention internals; keep the flag and the reason. */
function describeParseError(err: Error & { code?: string }): string {
  const flag = /'(-[^']+)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${flag ?? '?'}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message)
        ? `option '${flag?.split(' ')[0] ?? '?'}' needs a value`
        : `option '${flag?.split(' ')[0] ?? '?'}' does not take a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']+)'/.exec(err.message)?.[0] ?? ''}`.trim();
    default:
      return err.message;
  }
}
