/** zod building blocks shared by the rule file schema and the evaluators' `params` schemas. */
import { z } from 'zod';
import { parseDuration } from './duration';
import { compileGlobs } from './glob';

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** `5m` → 300000 (milliseconds). */
export const zDuration = z.unknown().transform((v, ctx) => {
  const ms = typeof v === 'string' ? parseDuration(v) : null;
  if (ms === null) {
    ctx.issues.push({ code: 'custom', message: `expected a duration like 5m, got ${shown(v)}`, input: v });
    return z.NEVER;
  }
  return ms;
});

export const zGlobs = z.array(z.string().min(1, 'expected a non-empty glob'));

/** Validated globs, compiled once. */
export const zGlobMatcher = zGlobs.transform((globs) => compileGlobs(globs));

/** User regular expressions: compiled once at load, case-insensitive, length-capped. */
export const zRegexList = z.array(z.string()).transform((sources, ctx) => {
  const out: RegExp[] = [];
  for (const [i, src] of sources.entries()) {
    if (src.length === 0 || src.length > 500) {
      ctx.issues.push({ code: 'custom', path: [i], message: `expected a pattern of 1 to 500 characters, got ${shown(src)}`, input: src });
      continue;
    }
    try {
      out.push(new RegExp(src, 'i'));
    } catch (err) {
      ctx.issues.push({ code: 'custom', path: [i], message: `invalid regular expression ${shown(src)}: ${(err as Error).message}`, input: src });
    }
  }
  return out;
});

export const zWarmup = z
  .strictObject({
    min_observations: z.number().int().min(0),
    min_age: zDuration,
  })
  .transform((w) => ({ minObservations: w.min_observations, minAgeMs: w.min_age }));

export { shown };
