/**
 * The Collector components our configs may use, with the top-level keys each accepts.
 *
 * Source: opentelemetry-collector / opentelemetry-collector-contrib v0.156.0 — each component's
 * `metadata.yaml` (type, deprecated_type) and `config.schema.yaml` / `config.go` (keys), plus the
 * shared config structs they squash in (confighttp/configgrpc client and server, exporterhelper
 * timeout/retry/queue). Renames checked: collector#14397 (`otlphttp` → `otlp_http`), collector#14403
 * (`otlp` exporter → `otlp_grpc`), contrib#48533 (`loadbalancing` → `load_balancing`), contrib
 * azure monitor exporter (`azuremonitor` → `azure_monitor`).
 *
 * Keep this list narrow on purpose: a key we have not checked against the release is an error.
 */

export type ComponentKind = 'receivers' | 'processors' | 'exporters' | 'extensions';

export interface KnownComponent {
  keys: readonly string[];
}

export const SOURCE_RELEASE = 'otelcol-contrib v0.156.0';

const HTTP_CLIENT = [
  'endpoint', 'tls', 'headers', 'timeout', 'compression', 'compression_params', 'read_buffer_size',
  'write_buffer_size', 'auth', 'proxy_url', 'max_idle_conns', 'max_idle_conns_per_host', 'max_conns_per_host',
  'idle_conn_timeout', 'disable_keep_alives', 'http2_read_idle_timeout', 'http2_ping_timeout', 'cookies',
] as const;
const EXPORTER_HELPER = ['retry_on_failure', 'sending_queue'] as const;
const GRPC_CLIENT = [
  'endpoint', 'tls', 'headers', 'timeout', 'compression', 'keepalive', 'read_buffer_size', 'write_buffer_size',
  'wait_for_ready', 'balancer_name', 'authority', 'auth',
] as const;

export const KNOWN_COMPONENTS: Record<ComponentKind, Record<string, KnownComponent>> = {
  receivers: {
    otlp: { keys: ['protocols'] },
  },
  processors: {
    memory_limiter: {
      keys: ['check_interval', 'limit_mib', 'spike_limit_mib', 'limit_percentage', 'spike_limit_percentage'],
    },
    batch: {
      keys: ['send_batch_size', 'send_batch_max_size', 'timeout', 'metadata_keys', 'metadata_cardinality_limit'],
    },
    redaction: {
      keys: [
        'allow_all_keys', 'allowed_keys', 'ignored_keys', 'ignored_key_patterns', 'blocked_key_patterns',
        'blocked_values', 'allowed_values', 'redact_all_types', 'hash_function', 'summary', 'url_sanitizer',
        'db_sanitizer',
      ],
    },
    resource: { keys: ['attributes'] },
  },
  exporters: {
    otlp_http: {
      keys: [...HTTP_CLIENT, ...EXPORTER_HELPER, 'encoding', 'traces_endpoint', 'logs_endpoint', 'metrics_endpoint', 'profiles_endpoint'],
    },
    otlp_grpc: { keys: [...GRPC_CLIENT, ...EXPORTER_HELPER] },
    azure_monitor: {
      keys: [
        ...HTTP_CLIENT, 'sending_queue', 'connection_string', 'instrumentation_key', 'maxbatchsize', 'maxbatchinterval',
        'spaneventsenabled', 'custom_events_enabled', 'exception_events_enabled', 'shutdown_timeout',
      ],
    },
    load_balancing: {
      keys: ['protocol', 'resolver', 'routing_key', 'routing_attributes', 'timeout', ...EXPORTER_HELPER],
    },
    debug: { keys: ['verbosity', 'sampling_initial', 'sampling_thereafter', 'use_internal_logger'] },
  },
  extensions: {
    health_check: { keys: ['endpoint', 'path', 'response_body', 'tls', 'check_collector_pipeline'] },
    file_storage: { keys: ['directory', 'timeout', 'fsync', 'compaction', 'create_directory', 'directory_permissions'] },
  },
};

/** Deprecated aliases still accepted by the Collector (with a warning); our configs use the current names. */
export const DEPRECATED_TYPES: Record<string, string> = {
  otlphttp: 'otlp_http',
  loadbalancing: 'load_balancing',
  azuremonitor: 'azure_monitor',
};

/** Keys of nested blocks we check too: `sending_queue` (exporterhelper queue_batch_config) and friends. */
export const SENDING_QUEUE_KEYS = [
  'enabled', 'num_consumers', 'queue_size', 'storage', 'sizer', 'block_on_overflow', 'wait_for_result', 'batch',
] as const;
export const RETRY_KEYS = [
  'enabled', 'initial_interval', 'randomization_factor', 'multiplier', 'max_interval', 'max_elapsed_time',
] as const;
export const LOAD_BALANCING_PROTOCOL_KEYS = ['otlp'] as const;
export const LOAD_BALANCING_RESOLVER_KEYS = ['static', 'dns', 'k8s', 'aws_cloud_map'] as const;
export const OTLP_RECEIVER_PROTOCOL_KEYS = ['grpc', 'http'] as const;
export const TOP_LEVEL_KEYS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service'] as const;
export const SERVICE_KEYS = ['extensions', 'pipelines', 'telemetry'] as const;
export const PIPELINE_KEYS = ['receivers', 'processors', 'exporters'] as const;
