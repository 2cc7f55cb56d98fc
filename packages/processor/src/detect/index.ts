/** Detection: baselines and alert rules over sealed audit records. */
export { createDetector } from './engine';
export { DETECT_ERROR_CODES, type DetectErrorCode, RuleFileError } from './errors';
export { DEFAULT_RULES_FILE, loadRules, parseRules } from './load-rules';
export {
  ALERT_LEVELS,
  type Alert,
  type AlertLevel,
  type AlertQuery,
  type BaselineKind,
  type BaselineQuery,
  type BaselineView,
  type DetectionSettings,
  type Detector,
  type DetectorOptions,
  type DetectorStats,
  GROUPABLE_FIELDS,
  type GroupableField,
  RULE_TYPES,
  type RecordRef,
  type Rule,
  type RuleSet,
  type RuleType,
  type SuppressMatcher,
  type ToolDefinitionEvent,
} from './types';
