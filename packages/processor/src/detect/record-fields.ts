/** Reading rule-relevant fields from records: group keys and suppression matchers. */
import { compileGlobs, type GlobMatcher } from './glob';
import type { GroupableField, SuppressMatcher } from './types';

/** Shown in `Alert.group` for a field the record did not have. */
export const NONE = '(none)';

export type FieldSource = Partial<Record<GroupableField, string | null | undefined>>;

/**
 * The group of a record for `fields`, or null when a field in `required` is missing
 * (e.g. repeated calls need an argument hash; new actor+tool pairs need an actor).
 */
export function groupOf(
  rec: FieldSource,
  fields: readonly GroupableField[],
  required: readonly GroupableField[] = [],
): Record<string, string> | null {
  for (const f of required) {
    const v = rec[f];
    if (v === null || v === undefined || v === '') return null;
  }
  const group: Record<string, string> = {};
  for (const f of fields) {
    const v = rec[f];
    group[f] = v === null || v === undefined || v === '' ? NONE : v;
  }
  return group;
}

/** A compact map key for a group (field order is the rule's, fixed at load). */
export function groupKey(group: Record<string, string>): string {
  return Object.values(group).join('\u001f');
}

/** The same key as groupKey(groupOf(...)) without building the group object (hot path). */
export function groupKeyOf(
  rec: FieldSource,
  fields: readonly GroupableField[],
  required: readonly GroupableField[] = [],
): string | null {
  for (const f of required) {
    const v = rec[f];
    if (v === null || v === undefined || v === '') return null;
  }
  let key = '';
  for (let i = 0; i < fields.length; i++) {
    const v = rec[fields[i] as GroupableField];
    if (i > 0) key += '\u001f';
    key += v === null || v === undefined || v === '' ? NONE : v;
  }
  return key;
}

export type SuppressTest = (subject: FieldSource) => boolean;

/** True when any entry matches: every field of an entry must match one of its globs. */
export function compileSuppress(entries: readonly SuppressMatcher[]): SuppressTest {
  if (entries.length === 0) return () => false;
  const compiled: Array<Array<[GroupableField, GlobMatcher]>> = entries.map((entry) =>
    Object.entries(entry).map(([field, globs]) => [
      field as GroupableField,
      compileGlobs(Array.isArray(globs) ? globs : [globs as string]),
    ]),
  );
  return (subject) =>
    compiled.some((entry) =>
      entry.every(([field, match]) => {
        const v = subject[field];
        return typeof v === 'string' && match(v);
      }),
    );
}

/**
 * Who sent a record, as far as the receiver knows: the key of fair-share quotas (session
 * state). The credential the emitter authenticated with, else the connection's peer
 * address (both set by the receiver, never by the payload), then the asserted service:
 * a credential may only assert its own services, and a flood from another address
 * cannot share the victim's quota even when it forges the victim's service name.
 */
export function senderOf(rec: { service: string; credential_id?: string | null; emitter_address?: string | null }): string {
  return `${rec.credential_id ?? ''}\u001f${rec.emitter_address ?? ''}\u001f${rec.service}`;
}
