import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuleFileError } from '../../src/detect/errors';
import { loadRules, parseRules } from '../../src/detect/load-rules';
import { RULE_TYPES } from '../../src/detect/types';

const VALID = `
rules:
  - id: volume-spike
    title: Spike
    level: medium
    type: volume_spike
    window: 5m
`;

function errorOf(text: string, file = 'rules.yaml'): RuleFileError {
  try {
    parseRules(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleFileError);
    return err as RuleFileError;
  }
  throw new Error('expected a RuleFileError');
}

describe('built-in rules', () => {
  it('validate and cover every evaluator type', () => {
    const set = loadRules(null);
    expect(set.source).toBe('built-in');
    const types = new Set(set.rules.map((r) => r.type));
    for (const t of RULE_TYPES) expect(types, t).toContain(t);
    for (const r of set.rules) {
      expect(r.tags.some((t) => t.startsWith('owasp-mcp:MCP')), r.id).toBe(true);
      expect(r.description.length, r.id).toBeGreaterThan(20);
    }
  });

  it('apply defaults for omitted fields', () => {
    const [rule] = parseRules(VALID, 'rules.yaml').rules;
    expect(rule).toMatchObject({ window: 300_000, dedup_window: 300_000, group_by: ['service', 'tool'], threshold: 50, enabled: true, tags: [] });
  });
});

describe('rule file validation names file, rule id and field', () => {
  it('a bad duration', () => {
    const err = errorOf(VALID.replace('window: 5m', 'window: five'));
    expect(err.message).toBe(`rules.yaml: rule 'volume-spike': field 'window': expected a duration like 5m, got "five"`);
    expect(err).toMatchObject({ code: 'MCPTRAIL_ERR_RULE_INVALID', file: 'rules.yaml', ruleId: 'volume-spike', field: 'window' });
  });

  it('an unknown level', () => {
    const err = errorOf(VALID.replace('level: medium', 'level: severe'));
    expect(err.field).toBe('level');
    expect(err.message).toContain(`rule 'volume-spike'`);
    expect(err.message).toContain('"severe"');
  });

  it('an unknown type', () => {
    const err = errorOf(VALID.replace('type: volume_spike', 'type: volume_spike2'));
    expect(err.field).toBe('type');
  });

  it('an unknown field', () => {
    const err = errorOf(`${VALID}    treshold: 3\n`);
    expect(err.field).toBe('treshold');
    expect(err.message).toContain('unknown field');
  });

  it('an invalid params field of the evaluator', () => {
    const err = errorOf(`${VALID}    params: { z: -1 }\n`);
    expect(err.field).toBe('params.z');
    expect(err.message).toContain(`rules.yaml: rule 'volume-spike': field 'params.z'`);
  });

  it('an unknown params field', () => {
    expect(errorOf(`${VALID}    params: { zz: 3 }\n`).field).toBe('params.zz');
  });

  it('a bad regular expression', () => {
    const err = errorOf(`
rules:
  - { id: inj, title: Inj, level: high, type: argument_injection, params: { patterns: { sql: ["(unclosed"] } } }
`);
    expect(err.field).toBe('params.patterns.sql.0');
    expect(err.message).toContain('invalid regular expression');
  });

  it('a group_by the evaluator cannot use', () => {
    const err = errorOf(VALID.replace('window: 5m', 'group_by: [tool, outcome]'));
    expect(err.field).toBe('group_by');
    expect(err.message).toContain('[tool, outcome]');
  });

  it('a window the evaluator cannot use', () => {
    const err = errorOf(VALID.replace('window: 5m', 'window: 1h'));
    expect(err.field).toBe('window');
    expect(err.message).toContain('at most 15m; got 1h');
  });

  it('a group_by naming a field that does not exist', () => {
    expect(errorOf(VALID.replace('window: 5m', 'group_by: [agent]')).field).toBe('group_by.0');
  });

  it('a bad id, labelled by position', () => {
    const err = errorOf(VALID.replace('id: volume-spike', 'id: Volume Spike'));
    expect(err.field).toBe('id');
    expect(err.message).toContain('kebab-case');
  });

  it('a missing id, labelled by position', () => {
    const err = errorOf(`rules:\n  - { title: Quiet, level: low, type: service_silent }\n`);
    expect(err.ruleId).toBe('#1');
    expect(err.field).toBe('id');
  });

  it('a missing title', () => {
    const err = errorOf(`rules:\n  - { id: quiet, level: low, type: service_silent }\n`);
    expect(err.ruleId).toBe('quiet');
    expect(err.field).toBe('title');
  });

  it('a duplicate id', () => {
    const rule = VALID.split('\n').slice(2).join('\n');
    const err = errorOf(`rules:\n${rule}\n${rule}`);
    expect(err.code).toBe('MCPTRAIL_ERR_RULE_DUPLICATE_ID');
    expect(err.ruleId).toBe('volume-spike');
  });

  it('a suppression entry with no field', () => {
    expect(errorOf(`${VALID}    suppress: [{}]\n`).field).toBe('suppress.0');
  });

  it('a bad setting', () => {
    const err = errorOf(`settings: { timezone: Mars/Olympus }\n${VALID}`);
    expect(err.ruleId).toBeNull();
    expect(err.field).toBe('settings.timezone');
  });

  it('YAML that does not parse', () => {
    const err = errorOf('rules: [ { id: x\n');
    expect(err.code).toBe('MCPTRAIL_ERR_RULE_FILE_READ');
    expect(err.message).toMatch(/^rules\.yaml: not valid YAML/);
  });

  it('a file that cannot be read', () => {
    const missing = path.join(os.tmpdir(), 'mcptrail-no-such-rules.yaml');
    expect(() => loadRules(missing)).toThrow(RuleFileError);
    expect(() => loadRules(missing)).toThrow(/ENOENT/);
  });
});

describe('extends: default', () => {
  it('keeps the built-in rules, overrides by id, merges params, disables and adds', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-rules-'));
    const file = path.join(dir, 'rules.yaml');
    fs.writeFileSync(
      file,
      `extends: default
settings: { timezone: Europe/Paris }
rules:
  - id: denied-burst
    threshold: 3
    params: { min_ratio: 0.5 }
  - id: service-silent
    enabled: false
  - id: admin-tools
    title: Admin tool used
    level: high
    type: off_hours_high_risk
    params: { tools: ['admin_*'], mode: business_hours, business_hours: { start: 8, end: 18 } }
`,
    );
    const set = loadRules(file);
    fs.rmSync(dir, { recursive: true, force: true });
    const builtin = loadRules(null);
    expect(set.source).toBe(file);
    expect(set.settings.timezone).toBe('Europe/Paris');
    expect(set.rules.length).toBe(builtin.rules.length + 1);
    const denied = set.rules.find((r) => r.id === 'denied-burst');
    expect(denied?.threshold).toBe(3);
    expect(denied?.params).toEqual({ outcomes: ['denied'], min_ratio: 0.5 });
    expect(denied?.title).toBe('Burst of denied requests');
    expect(set.rules.find((r) => r.id === 'service-silent')?.enabled).toBe(false);
    expect(set.rules.at(-1)?.id).toBe('admin-tools');
  });

  it('an override that changes the type inherits only the generic fields', () => {
    const set = parseRules(`extends: default\nrules:\n  - { id: error-burst, type: repeated_identical_calls, threshold: 5 }\n`, 'mine.yaml');
    expect(set.rules.find((r) => r.id === 'error-burst')).toMatchObject({
      type: 'repeated_identical_calls',
      title: 'Burst of failed tool calls',
      params: {},
      threshold: 5,
      group_by: ['service', 'actor_id', 'tool', 'args_hash'],
      window: 60_000,
    });
  });

  it('errors in an override name the user file', () => {
    const err = errorOf(`extends: default\nrules:\n  - { id: volume-spike, window: soon }\n`, 'mine.yaml');
    expect(err.message).toBe(`mine.yaml: rule 'volume-spike': field 'window': expected a duration like 5m, got "soon"`);
  });

  it('without extends a file replaces the built-in rules', () => {
    expect(parseRules(VALID, 'rules.yaml').rules.map((r) => r.id)).toEqual(['volume-spike']);
  });
});
