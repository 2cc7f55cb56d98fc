/**
 * Globs in rule files (`read_*`, `*secret*`, `test-?`): `*` matches any run, `?` one
 * character, case-insensitive. Compiled once at rule load, never per record.
 */
export type GlobMatcher = (value: string) => boolean;

function globToRegExpSource(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

/** One matcher for a list of globs (true when any matches). An empty list matches nothing. */
export function compileGlobs(globs: readonly string[]): GlobMatcher {
  if (globs.length === 0) return () => false;
  if (globs.includes('*')) return () => true;
  const re = new RegExp(`^(?:${globs.map(globToRegExpSource).join('|')})$`, 'is');
  return (value) => re.test(value);
}
