/**
 * The contract between the engine and the built-in evaluators (one module each under
 * ./rules). The engine computes the context of a record once, before the record is
 * folded into the baselines, so every evaluator sees the state *before* this call.
 */
import type { AuditRecord } from '@mcptrail/conventions';
import type { z } from 'zod';
import type { BaselineEntry, RefWithTrace } from './baseline-entry';
import type { Firing } from './alert-book';
import type { LocalTime } from './hour-of-week';
import type { SessionState } from './session-book';
import type { DetectionSettings, GroupableField, Rule, RuleType, ToolDefinitionEvent } from './types';

export type { SessionStep } from './session-book';

export interface RecordContext {
  rec: AuditRecord;
  timeMs: number;
  /** 0..167 in the configured time zone. */
  hourOfWeek: number;
  /** Hour of week, local day and day type (holidays count as weekend days) of `timeMs`. */
  local: LocalTime;
  ref: RefWithTrace;
  service: BaselineEntry;
  serviceTool: BaselineEntry | null;
  actor: BaselineEntry | null;
  actorTool: BaselineEntry | null;
  actorService: BaselineEntry | null;
  /**
   * The session's memory (tool calls with a session id): its previous step, and marks
   * rules leave for later calls (sequence rules: the latest `from` step per pair).
   * Rules see the previous step before this call; marks they set are kept.
   */
  session: SessionState | null;
  /** The same for the trace, on any service: one agent task spans several MCP servers. */
  trace: SessionState | null;
  /** Redaction types reported for this call (never values). */
  redactionTypes: readonly string[];
}

export interface DefinitionContext {
  ev: ToolDefinitionEvent;
  timeMs: number;
  ref: RefWithTrace | null;
  /** Last known definition of this service+tool (before this event). */
  serviceTool: BaselineEntry;
  descriptionFingerprint: string | null;
}

export interface ServiceActivity {
  service: string;
  entry: BaselineEntry;
  /** Wall-clock time the processor last received a record of this service (or started). */
  lastWallMs: number;
}

export interface TickContext {
  services: Iterable<ServiceActivity>;
  /** Hour of week and local day of an instant, in the rule set's time zone. */
  localTime: (timeMs: number) => LocalTime;
}

export interface Evaluator {
  onRecord?(ctx: RecordContext): Firing | null;
  onDefinition?(ctx: DefinitionContext): Firing | null;
  onTick?(now: number, ctx: TickContext): Firing[];
  reset?(): void;
}

export interface EvaluatorEnv {
  settings: DetectionSettings;
  /** Count an eviction of rule state (exposed in Detector.stats()). */
  onGroupEvicted: () => void;
}

export interface EvaluatorSpec<P> {
  type: RuleType;
  params: z.ZodType<P>;
  defaults: { group_by: GroupableField[]; window: string; threshold: number };
  /** An error message when the rule's group_by cannot work with this evaluator. */
  checkGroupBy?(groupBy: readonly GroupableField[]): string | null;
  /** An error message when the rule's window (ms) cannot work with this evaluator. */
  checkWindow?(windowMs: number): string | null;
  create(rule: Rule, params: P, env: EvaluatorEnv): Evaluator;
}

export function defineEvaluator<P>(spec: EvaluatorSpec<P>): EvaluatorSpec<P> {
  return spec;
}
