#!/usr/bin/env node
/**
 * Regenerates the three generated tables of README.md (configuration keys, built-in rules,
 * error codes) from the built code. Run after `npx tsc -b`: `npm run docs:tables`.
 * test/service/docs.test.ts fails when README and code disagree.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const p = {
  ...require(path.join(dist, 'config', 'schema')),
  ...require(path.join(dist, 'config', 'sources')),
  ...require(path.join(dist, 'errors')),
  ...require(path.join(dist, 'detect', 'load-rules')),
};
const esc = (s) => String(s).replace(/\|/g, '\\|');

const sources = new Map(p.SETTING_SOURCES.map((s) => [s.key, s]));
const config = ['| Key | Type | Default | Env / flag | Description |', '|---|---|---|---|---|'];
for (const k of p.configKeys()) {
  const s = sources.get(k.key);
  const envFlag = s ? [s.env && `\`${s.env}\``, s.flag && `\`--${s.flag}\``].filter(Boolean).join(' / ') : '';
  config.push(`| \`${k.key}\` | ${esc(k.type)} | \`${JSON.stringify(k.default)}\` | ${envFlag} | ${esc(k.description)} |`);
}

const rules = ['| Rule id | Level | Type | Group by | Window / threshold | Tags | Catches |', '|---|---|---|---|---|---|---|'];
for (const r of p.loadRules(null).rules) {
  const wt = (r.window ? `${r.window / 60000} min` : '') + (r.threshold ? ` / ${r.threshold}` : '');
  rules.push(`| \`${r.id}\` | ${r.level} | \`${r.type}\` | ${r.group_by.join(', ')} | ${wt} | ${r.tags.join(', ')} | ${esc(r.description.trim().replace(/\s+/g, ' '))} |`);
}

const errors = ['| Code | Area | HTTP | Meaning |', '|---|---|---|---|'];
for (const [code, info] of Object.entries(p.ERROR_CODES)) errors.push(`| \`${code}\` | ${info.area} | ${info.status ?? ''} | ${esc(info.summary)} |`);

const file = path.join(__dirname, '..', 'README.md');
let text = fs.readFileSync(file, 'utf8');
for (const [header, rows] of [
  ['| Key | Type | Default |', config],
  ['| Rule id | Level | Type |', rules],
  ['| Code | Area | HTTP |', errors],
]) {
  const start = text.indexOf(header);
  if (start < 0) throw new Error(`README.md has no table starting with '${header}'`);
  const end = text.indexOf('\n\n', start);
  text = text.slice(0, start) + rows.join('\n') + (end < 0 ? '\n' : text.slice(end));
}
fs.writeFileSync(file, text);
