/**
 * Injection patterns in the string leaves of (redacted) arguments: shell command
 * chaining and substitution, SQL injection, path traversal, template injection.
 * Patterns are compiled once; every quantifier is bounded and the scan is capped per
 * string and per record, so cost stays linear in the argument size.
 */
import { z } from 'zod';
import { compileGlobs } from '../glob';
import { defineEvaluator } from '../rule-kit';
import { groupOf } from '../record-fields';
import { zGlobs, zRegexList } from '../schema-helpers';
import { ALERT_LEVELS } from '../types';

export const INJECTION_CATEGORIES = ['shell', 'sql', 'path_traversal', 'template'] as const;
export type InjectionCategory = (typeof INJECTION_CATEGORIES)[number];

const SHELL_COMMANDS =
  'curl|wget|bash|sh|zsh|ksh|dash|nc|ncat|netcat|telnet|rm|chmod|chown|python[23]?|perl|ruby|php|node|powershell|pwsh|cmd|base64|sudo|su|whoami|id|uname|cat|eval|exec|scp|ssh|dd|mkfifo|xargs';

/** Built-in patterns per category (case-insensitive). */
export const BUILTIN_PATTERNS: Record<InjectionCategory, RegExp[]> = {
  shell: [
    new RegExp(`(?:;|&&|\\|\\||\\|)\\s*(?:${SHELL_COMMANDS})\\b`, 'i'),
    /\$\([^)\n]{1,200}\)/,
    new RegExp(`\`\\s*(?:${SHELL_COMMANDS})\\b[^\`]{0,200}\``, 'i'),
    />\s*\/dev\/(?:tcp|udp)\//i,
    /\bnc\s+(?:-\w+\s+){0,4}-e\b/i,
  ],
  sql: [
    /'\s*(?:or|and)\s+'?\w{1,20}'?\s*(?:=|like)\s*'?\w{1,20}/i,
    /\bunion\s+(?:all\s+)?select\b/i,
    /;\s*(?:drop|delete|truncate|alter|insert|update|create|grant|exec|execute|shutdown)\s+\w/i,
    /'\s*(?:--|#|\/\*)/,
    /\b(?:sleep|pg_sleep|benchmark)\s*\(\s*\d/i,
    /\bwaitfor\s+delay\b/i,
    /\bor\s+1\s*=\s*1\b/i,
  ],
  path_traversal: [
    /(?:^|[\\/])\.\.(?:[\\/]|$)/,
    /(?:%2e|\.){2}(?:%2f|%5c)/i,
    /%2e%2e(?:[\\/])/i,
    /%252e%252e/i,
    /\/etc\/(?:passwd|shadow|sudoers|hosts)\b/i,
    /(?:^|[\\/~])\.ssh[\\/]/i,
    /\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i,
    /\b[a-z]:\\windows\\system32\b/i,
    /\/proc\/self\//i,
  ],
  template: [/\{\{[^}\n]{1,200}\}\}/, /\$\{[^}\n]{1,200}\}/, /<%[^%\n]{1,200}%>/, /#\{[^}\n]{1,200}\}/, /\{%[^%\n]{1,200}%\}/],
};

const params = z.strictObject({
  categories: z.array(z.enum(INJECTION_CATEGORIES)).min(1).default([...INJECTION_CATEGORIES]),
  /** Extra patterns per category, added to the built-in ones. */
  patterns: z
    .strictObject({
      shell: zRegexList.optional(),
      sql: zRegexList.optional(),
      path_traversal: zRegexList.optional(),
      template: zRegexList.optional(),
    })
    .default({}),
  /** Tools whose arguments are expected to hold such text (an SQL console, a shell tool). */
  skip_tools: zGlobs.default([]),
  /** Argument paths (`query`, `options.filter`) or leaf keys to skip. */
  skip_fields: zGlobs.default([]),
  max_string_length: z.number().int().min(16).default(8_192),
  max_strings: z.number().int().min(1).default(1_000),
  /** A level per category above the rule's (e.g. `shell: critical`). */
  levels: z.partialRecord(z.enum(INJECTION_CATEGORIES), z.enum(ALERT_LEVELS)).default({}),
});

const MAX_DEPTH = 32;

/**
 * Every built-in pattern needs one of these; strings without any (most arguments:
 * names, ids, plain words) skip the per-category scans.
 */
const CANDIDATE = /[;&|$`>'\\/%{<#=(]|\.\.|union|waitfor|\bnc\s|\bid_(?:rsa|dsa|ecdsa|ed25519)\b/i;

/** One alternation per category: one regex pass per string instead of one per pattern. */
function combine(list: RegExp[]): RegExp {
  return new RegExp(list.map((re) => `(?:${re.source})`).join('|'), 'i');
}

export interface InjectionHit {
  category: InjectionCategory;
  path: string;
}

/** The first injection pattern found in the string leaves of `args`, or null. */
export function scanArguments(
  args: unknown,
  patterns: ReadonlyArray<[InjectionCategory, RegExp]>,
  skipField: (path: string) => boolean,
  maxLength: number,
  maxStrings: number,
  prefilter: RegExp | null,
): InjectionHit | null {
  const stack: Array<[unknown, string, number]> = [[args, '', 0]];
  let strings = 0;
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof value === 'string') {
      if (++strings > maxStrings) return null;
      if (path !== '' && skipField(path)) continue;
      const text = value.length > maxLength ? value.slice(0, maxLength) : value;
      if (prefilter && !prefilter.test(text)) continue;
      for (const [category, re] of patterns) if (re.test(text)) return { category, path: path || '(root)' };
    } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], path ? `${path}.${i}` : String(i), depth + 1]);
      } else {
        for (const [k, v] of Object.entries(value)) stack.push([v, path ? `${path}.${k}` : k, depth + 1]);
      }
    }
  }
  return null;
}

/** Argument keys are caller-controlled: keep what an alert repeats of them short. */
const shortPath = (path: string) => (path.length > 120 ? `${path.slice(0, 117)}...` : path);

const CATEGORY_TEXT: Record<InjectionCategory, string> = {
  shell: 'shell command chaining or substitution',
  sql: 'SQL injection',
  path_traversal: 'path traversal',
  template: 'template injection',
};

export const argumentInjection = defineEvaluator({
  type: 'argument_injection',
  params,
  defaults: { group_by: ['service', 'actor_id', 'tool'], window: '10m', threshold: 1 },
  create(rule, p) {
    const patterns: Array<[InjectionCategory, RegExp]> = p.categories.map((c) => [
      c,
      combine([...BUILTIN_PATTERNS[c], ...(p.patterns[c] ?? [])]),
    ]);
    // User patterns may match anything, so the built-in prefilter only holds without them.
    const custom = Object.values(p.patterns).some((list) => list && list.length > 0);
    const prefilter = custom ? null : CANDIDATE;
    const skipTool = compileGlobs(p.skip_tools);
    const skipFieldGlob = compileGlobs(p.skip_fields);
    const skipField = (path: string) => skipFieldGlob(path) || skipFieldGlob(path.slice(path.lastIndexOf('.') + 1));
    return {
      onRecord(ctx) {
        const { rec } = ctx;
        if (rec.args === null || rec.args === undefined) return null;
        if (rec.tool !== null && skipTool(rec.tool)) return null;
        const hit = scanArguments(rec.args, patterns, skipField, p.max_string_length, p.max_strings, prefilter);
        if (!hit) return null;
        const group = groupOf(rec, rule.group_by);
        if (!group) return null;
        return {
          group,
          timeMs: ctx.timeMs,
          refs: [ctx.ref],
          finding: hit.category,
          level: p.levels[hit.category],
          summary: `${CATEGORY_TEXT[hit.category]} in argument '${shortPath(hit.path)}' of ${rec.tool ?? rec.method}`,
        };
      },
    };
  },
});
