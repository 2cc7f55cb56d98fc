/**
 * Public types of detection: baselines and alert rules over sealed audit records.
 * The service wires `pipeline.onSealed → detector.process → alerts → sinks`.
 */
import type { AuditRecord } from '@mcptrail/conventions';
import type { Logger } from '../logger';

export const ALERT_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

/** Built-in evaluator names, the `type` of a rule. */
export const RULE_TYPES = [
  'volume_spike',
  'outcome_burst',
  'argument_injection',
  'off_hours_high_risk',
  'tool_definition_changed',
  'tool_poisoning',
  'credential_output',
  'new_actor_tool',
  'unusual_sequence',
  'repeated_identical_calls',
  'service_silent',
  'clock_anomaly',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** Record fields a rule may group by or a suppression entry may match. */
export const GROUPABLE_FIELDS = [
  'service',
  'service_instance',
  'tool',
  'method',
  'actor_id',
  'session_id',
  'client_name',
  'client_address',
  'server_name',
  'resource_uri',
  'prompt',
  'args_hash',
  'outcome',
  'credential_id',
  'emitter_address',
] as const;
export type GroupableField = (typeof GROUPABLE_FIELDS)[number];

export interface RecordRef {
  chain_id: string;
  seq: number;
}

export interface Alert {
  /** Stable: derived from the dedup key and the first evidence, so a replay yields the same ids. */
  id: string;
  rule_id: string;
  title: string;
  level: AlertLevel;
  tags: string[];
  /** Time of the record that raised it (ISO 8601 UTC); the clock's time for tick-based rules. */
  time: string;
  group: Record<string, string>;
  summary: string;
  /**
   * What this alert found when its rule can find different things in one group (an
   * injection category, a `from → to` tool pair), else null. A different finding (or a
   * higher level) in an open dedup group raises a new alert instead of a silent repeat.
   */
  finding: string | null;
  /** Every finding of the dedup group up to this alert (bounded). */
  findings: string[];
  /** Id of the open alert of the same dedup group this one escalates, or null. */
  supersedes: string | null;
  evidence: { records: RecordRef[]; trace_ids: string[] };
  /** `rule_id` + canonical JSON of `group`. */
  dedup_key: string;
  /** 1 when raised; incremented for every repeat within the rule's `dedup_window`. */
  count: number;
  /** Time of the latest repeat (equals `time` until a repeat arrives). */
  last_time: string;
}

/** `suppress` entry: every listed field must match one of its globs (`*` any run, `?` one char). */
export type SuppressMatcher = Partial<Record<GroupableField, string | string[]>>;

/** A validated rule, defaults applied. `params` is the evaluator's own validated shape. */
export interface Rule {
  id: string;
  title: string;
  level: AlertLevel;
  tags: string[];
  description: string;
  type: RuleType;
  group_by: GroupableField[];
  /** Milliseconds. */
  window: number;
  threshold: number;
  params: Record<string, unknown>;
  suppress: SuppressMatcher[];
  /** Milliseconds. */
  dedup_window: number;
  enabled: boolean;
}

export interface DetectionSettings {
  /** IANA time zone of the hour-of-week profiles and business hours. @default 'UTC' */
  timezone: string;
  /** Local dates (`YYYY-MM-DD`) the day profiles treat as weekend days (public holidays). @default [] */
  holidays: string[];
  /** Baseline entries kept in memory (least recently used evicted to the database). @default 100000 */
  max_baseline_keys: number;
  /** Sessions and traces tracked for tool sequences, at most. @default 50000 */
  max_sessions: number;
  /**
   * Estimated bytes of session and trace state, at most; when full, the oldest entry of
   * the sender holding the most is dropped (fair share: one sender's flood never evicts
   * another's sessions). @default 67108864 (64 MiB)
   */
  max_session_bytes: number;
  /** Per-rule window groups kept (least recently used dropped). @default 100000 */
  max_rule_groups: number;
  /**
   * Estimated bytes of the baseline entries in memory, at most (with max_baseline_keys, whichever
   * bound comes first; the colder half is written back to the database). @default 67108864 (64 MiB)
   */
  max_baseline_bytes: number;
  /** Estimated bytes of each windowed rule's groups, at most (with max_rule_groups). @default 16777216 (16 MiB) */
  max_rule_group_bytes: number;
}

export interface RuleSet {
  /** The file the rules came from, or `built-in`. */
  source: string;
  settings: DetectionSettings;
  rules: Rule[];
}

/**
 * A tool definition as announced by the emitter (`mcp.audit.tool_definition` log record):
 * feeds the rug-pull and tool-poisoning rules.
 */
export interface ToolDefinitionEvent {
  time: string;
  service: string;
  tool: string;
  schema_version: string | null;
  /** Redacted description text. */
  description: string | null;
  destructive?: boolean | null;
  trace_id?: string | null;
  /** Set when the event was stored in the trail. */
  ref?: RecordRef | null;
}

export type BaselineKind = 'service' | 'service_tool' | 'actor' | 'actor_tool' | 'actor_service';

export interface BaselineView {
  kind: BaselineKind;
  service: string | null;
  tool: string | null;
  actor: string | null;
  observations: number;
  first_seen: string;
  last_seen: string;
  /** Whether the baseline has passed the default warm-up (see DEFAULT_WARMUP). */
  warm: boolean;
  /** Calls per minute bucket: EWMA mean and standard deviation over closed buckets. */
  rate_per_minute: { mean: number; stddev: number; buckets: number };
  error_ratio: number;
  denied_ratio: number;
  /** Median and median absolute deviation of argument sizes (bytes) over a bounded reservoir. */
  args_size: { median: number | null; mad: number | null; samples: number };
  /** 168 counts, index = day-of-week (0 = Sunday) × 24 + hour, in the configured time zone. */
  hour_of_week: number[];
  /**
   * Distinct local days with calls per hour of day (0..23), on weekdays and on weekend
   * days, and how many active days of each type were seen (what `off_hours_high_risk`
   * judges by default).
   */
  day_profile: { weekday: number[]; weekend: number[]; weekdays_active: number; weekend_days_active: number };
  /** service_tool: last tool schema version and description fingerprint. */
  schema_version: string | null;
  description_fingerprint: string | null;
  /** service: tool-to-tool transitions seen within sessions (`prev → tool`). */
  transitions: number;
}

export interface AlertQuery {
  rule_id?: string;
  since?: string;
  level?: AlertLevel;
  limit?: number;
}

export interface BaselineQuery {
  kind?: BaselineKind;
  service?: string;
  tool?: string;
  actor?: string;
  limit?: number;
}

export interface DetectorStats {
  baseline_keys_in_memory: number;
  baseline_evictions: number;
  rule_group_evictions: number;
  session_evictions: number;
  /** Estimated bytes of session and trace state held. */
  session_bytes: number;
  /** Estimated bytes of the baseline entries held in memory (see max_baseline_bytes). */
  baseline_bytes: number;
  records_processed: number;
  alerts_raised: number;
  alerts_repeated: number;
  /** Rule evaluations skipped because the record matched the rule's `suppress` list. */
  suppressed_evaluations: number;
  /** Records skipped because their `time` was not a date. */
  records_skipped: number;
  evaluator_errors: number;
}

/** What a caller (the detection cursor) writes in, and hears of, each detector commit. */
export interface CommitHook {
  /** Inside the commit's transaction, after the detector's own state. */
  write(): void;
  committed(): void;
  /** A fold (a read) or a commit-at-once failed: memory was reset to the last commit. */
  failed(): void;
  /** The caller has something to write (a commit is due even if the detector's state did not change). */
  pending(): boolean;
}

export interface Detector {
  /** Updates baselines and returns NEW alerts (repeats within a rule's dedup window only bump `count`); one transaction. */
  process(records: AuditRecord[]): Alert[];
  /**
   * As `process`, in memory only: nothing is written until `commit()` (or a commit of
   * tick, tool definitions, a query or retention). New alerts must reach anyone only after
   * the commit that stores them.
   */
  stage(records: AuditRecord[]): Alert[];
  /**
   * Writes everything staged (and the hook's part) in one transaction. When storage fails it
   * rolls back and throws; memory keeps the changes (still pending) for the next commit.
   */
  commit(): void;
  /**
   * Records of calls staged before they were sealed (as a draft with the placeholder seq < 0):
   * not folded again; the alerts that cited the placeholder get the sealed record as evidence.
   */
  amendSealed(items: ReadonlyArray<{ record: AuditRecord; placeholder: number }>): void;
  setCommitHook(hook: CommitHook | null): void;
  /** Tool definitions announced by emitters (rug pull, tool poisoning). */
  processToolDefinitions(events: ToolDefinitionEvent[]): Alert[];
  /** Time-based rules (service went silent). `now` in epoch milliseconds. */
  tick(now: number): Alert[];
  listAlerts(q: AlertQuery): Alert[];
  baselines(q: BaselineQuery): BaselineView[];
  /** Forget every baseline, alert and window (for `mcptrail replay`). */
  reset(): void;
  /**
   * Retention: delete alerts last seen before `cutoff` and baselines not seen since
   * (those actors, tools and pairs count as new again).
   */
  purgeBefore(cutoff: Date): { alerts: number; baselines: number };
  stats(): DetectorStats;
}

export interface DetectorOptions {
  rules: RuleSet;
  db: import('better-sqlite3').Database;
  /** Wall clock for tick-based rules. @default Date.now */
  clock?: () => number;
  logger: Logger;
}
