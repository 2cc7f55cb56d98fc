/**
 * Rule files: YAML, validated with zod at start-up. A bad file fails with the file,
 * rule id and field named. Without a file the built-in `rules/default.yaml` applies;
 * a user file replaces it, or with `extends: default` keeps it and overrides rules by
 * id (fields replace the default's, `params` merge key by key; `enabled: false` turns a
 * default rule off).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration';
import { RuleFileError } from './errors';
import { EVALUATORS } from './rules';
import { shown, zDuration } from './schema-helpers';
import {
  ALERT_LEVELS,
  type DetectionSettings,
  GROUPABLE_FIELDS,
  RULE_TYPES,
  type Rule,
  type RuleSet,
  type SuppressMatcher,
} from './types';

/** Where the built-in rules live (two levels up from both src/detect and dist/detect). */
export const DEFAULT_RULES_FILE = path.join(__dirname, '..', '..', 'rules', 'default.yaml');
const BUILTIN_SOURCE = 'built-in rules/default.yaml';

export const DEFAULT_SETTINGS: DetectionSettings = {
  timezone: 'UTC',
  holidays: [],
  max_baseline_keys: 100_000,
  max_sessions: 50_000,
  max_session_bytes: 64 * 1024 * 1024,
  max_rule_groups: 100_000,
  max_baseline_bytes: 64 * 1024 * 1024,
  max_rule_group_bytes: 16 * 1024 * 1024,
};

const zTimeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone like Europe/Paris' },
);

const SettingsSchema = z.strictObject({
  timezone: zTimeZone.optional(),
  holidays: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date like 2026-12-25').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'expected a real date'))
    .optional(),
  max_baseline_keys: z.number().int().min(100).optional(),
  max_sessions: z.number().int().min(100).optional(),
  max_session_bytes: z.number().int().min(65_536).optional(),
  max_rule_groups: z.number().int().min(100).optional(),
  max_baseline_bytes: z.number().int().min(65_536).optional(),
  max_rule_group_bytes: z.number().int().min(65_536).optional(),
});

const DocumentSchema = z.strictObject({
  version: z.literal(1).optional(),
  extends: z.enum(['default', 'none']).optional(),
  settings: SettingsSchema.optional(),
  rules: z.array(z.unknown()).optional(),
});

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const RuleSchema = z.strictObject({
  id: z.string().regex(KEBAB, 'expected a kebab-case id like volume-spike'),
  title: z.string().min(1, 'expected a non-empty title'),
  level: z.enum(ALERT_LEVELS),
  tags: z.array(z.string().min(1)).default([]),
  description: z.string().default(''),
  type: z.enum(RULE_TYPES),
  group_by: z.array(z.enum(GROUPABLE_FIELDS)).min(1).optional(),
  window: zDuration.optional(),
  threshold: z.number().min(0).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  suppress: z
    .array(
      z
        .partialRecord(z.enum(GROUPABLE_FIELDS), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
        .refine((m) => Object.keys(m).length > 0, { message: 'expected at least one field to match' }),
    )
    .default([]),
  dedup_window: zDuration.optional(),
  enabled: z.boolean().default(true),
});

type Issue = z.core.$ZodIssue;

function fail(file: string, ruleId: string | null, issue: Issue, prefix: string[] = []): never {
  const pathParts = [...prefix, ...issue.path.map(String)];
  let field = pathParts.length ? pathParts.join('.') : null;
  let detail = issue.message;
  if (issue.code === 'unrecognized_keys') {
    field = [...pathParts, issue.keys[0] ?? ''].join('.');
    detail = `unknown field (allowed fields are documented in the rule reference)`;
  } else if (!/\bgot\b/.test(detail) && 'input' in issue && issue.input !== undefined) {
    detail += `, got ${shown(issue.input)}`;
  }
  throw new RuleFileError('MCPTRAIL_ERR_RULE_INVALID', file, ruleId, field, detail);
}

function ruleLabel(raw: unknown, index: number): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 ? id : `#${index + 1}`;
}

/** Validates one rule (defaults applied), naming file, rule and field on error. */
function compileRule(raw: unknown, index: number, file: string): Rule {
  const label = ruleLabel(raw, index);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RuleFileError('MCPTRAIL_ERR_RULE_INVALID', file, label, null, `expected a mapping, got ${shown(raw)}`);
  }
  const parsed = RuleSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) fail(file, label, parsed.error.issues[0] as Issue);
  const r = parsed.data;
  const spec = EVALUATORS[r.type];
  const groupBy = r.group_by ?? spec.defaults.group_by;
  const groupProblem = spec.checkGroupBy?.(groupBy) ?? null;
  if (groupProblem) throw new RuleFileError('MCPTRAIL_ERR_RULE_INVALID', file, r.id, 'group_by', groupProblem);
  const params = spec.params.safeParse(r.params, { reportInput: true });
  if (!params.success) fail(file, r.id, params.error.issues[0] as Issue, ['params']);
  const window = r.window ?? (parseDuration(spec.defaults.window) as number);
  const windowProblem = spec.checkWindow?.(window) ?? null;
  if (windowProblem) throw new RuleFileError('MCPTRAIL_ERR_RULE_INVALID', file, r.id, 'window', windowProblem);
  return {
    id: r.id,
    title: r.title,
    level: r.level,
    tags: r.tags,
    description: r.description.trim(),
    type: r.type,
    group_by: groupBy,
    window,
    threshold: r.threshold ?? spec.defaults.threshold,
    params: r.params,
    suppress: r.suppress as SuppressMatcher[],
    dedup_window: r.dedup_window ?? window,
    enabled: r.enabled,
  };
}

interface RawDocument {
  settings: Partial<DetectionSettings>;
  rules: unknown[];
}

function readDocument(doc: unknown, file: string): RawDocument & { extends: 'default' | 'none' | undefined } {
  if (doc === null || doc === undefined) return { settings: {}, rules: [], extends: undefined };
  const parsed = DocumentSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) fail(file, null, parsed.error.issues[0] as Issue);
  return {
    settings: parsed.data.settings ?? {},
    rules: parsed.data.rules ?? [],
    extends: parsed.data.extends,
  };
}

function buildRuleSet(source: string, doc: RawDocument, file: string): RuleSet {
  const seen = new Set<string>();
  const rules = doc.rules.map((raw, i) => {
    const rule = compileRule(raw, i, file);
    if (seen.has(rule.id)) {
      throw new RuleFileError('MCPTRAIL_ERR_RULE_DUPLICATE_ID', file, rule.id, 'id', 'this id is used by an earlier rule in the file');
    }
    seen.add(rule.id);
    return rule;
  });
  return { source, settings: { ...DEFAULT_SETTINGS, ...doc.settings }, rules };
}

function parseYaml(text: string, file: string): unknown {
  try {
    return YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new RuleFileError('MCPTRAIL_ERR_RULE_FILE_READ', file, null, null, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

let builtinCache: RawDocument | null = null;

function builtinDocument(): RawDocument {
  if (!builtinCache) {
    const text = fs.readFileSync(DEFAULT_RULES_FILE, 'utf8');
    builtinCache = readDocument(parseYaml(text, BUILTIN_SOURCE), BUILTIN_SOURCE);
  }
  return builtinCache;
}

/** Merges a user document over the built-in one by rule id. */
function extendDefault(user: RawDocument, file: string): RawDocument {
  const base = builtinDocument();
  const byId = new Map<string, Record<string, unknown>>();
  for (const raw of base.rules) byId.set((raw as { id: string }).id, raw as Record<string, unknown>);
  const added: unknown[] = [];
  const ids = new Set<string>();
  for (const [i, raw] of user.rules.entries()) {
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'string') {
      if (ids.has(id)) {
        throw new RuleFileError('MCPTRAIL_ERR_RULE_DUPLICATE_ID', file, id, 'id', 'this id is used by an earlier rule in the file');
      }
      ids.add(id);
    }
    const over = typeof id === 'string' ? byId.get(id) : undefined;
    if (over && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const r = raw as Record<string, unknown>;
      // Another evaluator means other grouping, window, threshold and params: only the user's then.
      const sameType = r.type === undefined || r.type === over.type;
      const { group_by: _g, window: _w, threshold: _t, params: baseParams, dedup_window: _d, ...generic } = over;
      const base = sameType ? over : generic;
      const params = { ...(sameType ? (baseParams as object | undefined) : {}), ...(r.params as object | undefined) };
      byId.set(id as string, { ...base, ...r, params });
    } else {
      added.push(raw ?? user.rules[i]);
    }
  }
  return { settings: { ...base.settings, ...user.settings }, rules: [...byId.values(), ...added] };
}

/** Parses rule-file text; `file` names it in errors. */
export function parseRules(text: string, file: string): RuleSet {
  const doc = readDocument(parseYaml(text, file), file);
  return buildRuleSet(file, doc.extends === 'default' ? extendDefault(doc, file) : doc, file);
}

/** `null`/omitted → the built-in rules. Throws RuleFileError naming file, rule id and field. */
export function loadRules(file?: string | null): RuleSet {
  if (!file) return buildRuleSet('built-in', builtinDocument(), BUILTIN_SOURCE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleFileError('MCPTRAIL_ERR_RULE_FILE_READ', file, null, null, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseRules(text, file);
}
