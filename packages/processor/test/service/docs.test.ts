import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS, COMMANDS } from '../../src/cli/args';
import { configKeys } from '../../src/config/schema';
import { loadConfig, SETTING_SOURCES } from '../../src/config/sources';
import { loadRules } from '../../src/detect/load-rules';
import { ERROR_CODES } from '../../src/errors';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  expect(start, `README section '${title}'`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README stays in step with the code', () => {
  it('documents every configuration key, with its env variable and flag', () => {
    const doc = section('Configuration');
    for (const k of configKeys()) expect(doc, k.key).toContain(`| \`${k.key}\` |`);
    for (const s of SETTING_SOURCES) {
      if (s.env) expect(doc, s.env).toContain(`\`${s.env}\``);
      if (s.flag) expect(doc, s.flag).toContain(`\`--${s.flag}\``);
    }
  });

  it('shows a configuration example that the schema accepts', () => {
    const example = /```yaml\n(# mcptrail\.yaml[\s\S]*?)```/.exec(section('Configuration'))?.[1];
    expect(example).toBeDefined();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mcptrail-doc-')), 'mcptrail.yaml');
    writeFileSync(file, example as string);
    const cfg = loadConfig({ file, env: { MCPTRAIL_WEBHOOK_SECRET: 's' } });
    expect(cfg.receiver.host).toBe('0.0.0.0');
    expect(cfg.sinks.otlp.records).toBe(true);
  });

  it('lists exactly the error codes the package defines', () => {
    const documented = new Set(section('Error codes').match(/MCPTRAIL_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('describes every built-in rule', () => {
    const doc = section('Alert rules');
    for (const rule of loadRules(null).rules) expect(doc, rule.id).toContain(`| \`${rule.id}\` |`);
  });

  it('lists every command and option of the CLI', () => {
    const doc = section('CLI reference');
    for (const c of COMMANDS) {
      expect(doc, c).toContain(`| \`${c}\` |`);
      for (const name of Object.keys(COMMAND_SPECS[c].options)) expect(doc, `${c} --${name}`).toContain(`--${name}`);
    }
  });
});
