/** The rule reference (rules/README.md) must list what the code accepts, and nothing it does not. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DETECT_ERROR_CODES } from '../../src/detect/errors';
import { DEFAULT_SETTINGS, loadRules } from '../../src/detect/load-rules';
import { EVALUATORS } from '../../src/detect/rules';
import { GROUPABLE_FIELDS, RULE_TYPES } from '../../src/detect/types';

const doc = fs.readFileSync(path.join(__dirname, '../../rules/README.md'), 'utf8');

/** The text of the `### \`type\`` section. */
function section(type: string): string {
  const start = doc.indexOf(`### \`${type}\``);
  expect(start, `section for ${type}`).toBeGreaterThan(-1);
  const next = doc.indexOf('\n#', start + 5);
  return doc.slice(start, next === -1 ? undefined : next);
}

/** First-column names of the markdown tables in `text`. */
function tableNames(text: string): string[] {
  return [...text.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1] as string);
}

describe('rule reference', () => {
  it.each(RULE_TYPES)('documents every param of %s, and only those', (type) => {
    const shape = (EVALUATORS[type].params as unknown as z.ZodObject).shape;
    expect(tableNames(section(type)).sort()).toEqual(Object.keys(shape).sort());
  });

  it('documents every setting and every groupable field', () => {
    const settings = doc.slice(doc.indexOf('### Settings'), doc.indexOf('### Rule fields'));
    expect(tableNames(settings).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    for (const f of GROUPABLE_FIELDS) expect(doc).toContain(`\`${f}\``);
  });

  it('lists every built-in rule with its type and level', () => {
    for (const r of loadRules(null).rules) expect(doc).toContain(`| \`${r.id}\` | ${r.type} | ${r.level} |`);
  });

  it('lists every error code', () => {
    const table = doc.slice(doc.indexOf('## Error codes'));
    expect([...table.matchAll(/^\| `(MCPTRAIL_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(DETECT_ERROR_CODES).sort());
  });
});
