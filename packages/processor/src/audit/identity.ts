/**
 * Bound identity: a record's `service.name` and `enduser.id` are claims of the sender; the
 * credential it authenticated with says which claims it may make. A claim outside them is
 * rejected (never stored) or stored with `identity_flags`, as configured.
 */
import type { EmitterIdentity } from '../otlp/types';

export const IDENTITY_MISMATCH_ACTIONS = ['reject', 'flag'] as const;
export type IdentityMismatchAction = (typeof IDENTITY_MISMATCH_ACTIONS)[number];

/** Flags stored in `identity_flags`: which claims the credential did not own. */
export type IdentityFlag = 'service' | 'actor';

type Matcher = (value: string) => boolean;
const compiled = new WeakMap<readonly string[], Matcher>();

/** Case-sensitive globs (`*` any run, `?` one character): `payments-*`, `*@corp.example`. */
function matcherOf(globs: readonly string[]): Matcher {
  let m = compiled.get(globs);
  if (m) return m;
  if (globs.includes('*')) m = () => true;
  else if (globs.length === 0) m = () => false;
  else {
    const source = globs
      .map((g) => [...g].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join(''))
      .join('|');
    const re = new RegExp(`^(?:${source})$`, 's');
    m = (value) => re.test(value);
  }
  compiled.set(globs, m);
  return m;
}

/** The claims of one record that `emitter` may not make; empty when all are its own. */
export function unownedClaims(emitter: EmitterIdentity | undefined, service: string, actor: string | null): IdentityFlag[] {
  if (!emitter) return [];
  const flags: IdentityFlag[] = [];
  if (!matcherOf(emitter.services)(service)) flags.push('service');
  if (actor !== null && !matcherOf(emitter.actors)(actor)) flags.push('actor');
  return flags;
}
