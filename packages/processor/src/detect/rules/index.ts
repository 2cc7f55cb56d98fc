/** The built-in evaluators, by rule `type`. */
import type { EvaluatorSpec } from '../rule-kit';
import type { RuleType } from '../types';
import { argumentInjection } from './argument-injection';
import { clockAnomaly } from './clock-anomaly';
import { credentialOutput } from './credential-output';
import { newActorTool } from './new-actor-tool';
import { offHoursHighRisk } from './off-hours-high-risk';
import { outcomeBurst } from './outcome-burst';
import { repeatedIdenticalCalls } from './repeated-identical-calls';
import { serviceSilent } from './service-silent';
import { toolDefinitionChanged } from './tool-definition-changed';
import { toolPoisoning } from './tool-poisoning';
import { unusualSequence } from './unusual-sequence';
import { volumeSpike } from './volume-spike';

// biome-ignore lint/suspicious/noExplicitAny: each spec validates its own params shape.
export const EVALUATORS: Record<RuleType, EvaluatorSpec<any>> = {
  volume_spike: volumeSpike,
  outcome_burst: outcomeBurst,
  argument_injection: argumentInjection,
  off_hours_high_risk: offHoursHighRisk,
  tool_definition_changed: toolDefinitionChanged,
  tool_poisoning: toolPoisoning,
  credential_output: credentialOutput,
  new_actor_tool: newActorTool,
  unusual_sequence: unusualSequence,
  repeated_identical_calls: repeatedIdenticalCalls,
  service_silent: serviceSilent,
  clock_anomaly: clockAnomaly,
};
