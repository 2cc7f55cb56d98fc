import { canonicalJson } from '@mcptrail/conventions';
import { createRedactor, type Redactor } from '@mcptrail/redact';
import type { McpInstrumentationConfig } from './types';

/**
 * The few redaction operations the instrumentation needs, over `@mcptrail/redact`.
 * Every argument, result and error text we export passes through here. Fails closed:
 * if the redactor throws, the value is replaced by a marker rather than exported raw.
 */
export interface TelemetryRedaction {
  /** Redacted JSON of a value (arguments, results), or a marker when it cannot be redacted. */
  json(value: unknown, tally?: RedactionTally): string;
  /** Redacts a value only to learn what it holds: the tally grows, nothing is serialised or returned. */
  scan(value: unknown, tally: RedactionTally): void;
  /** Redacted free text (error messages, URIs), cut to `maxLength` characters. */
  text(value: string, maxLength?: number, tally?: RedactionTally): string;
  /** An id that must stay distinct (actor, session): as is when clean, else one keyed pseudonym of the whole id. */
  identifier(value: string, tally?: RedactionTally): string;
  /** `{ hash, size }` of the canonical JSON: keyed HMAC and byte length (computed before redaction). */
  fingerprint(value: unknown): { hash?: string; size?: number };
  /** `{ hash, size }` of canonical JSON bytes already written (one walk made them: see `canonicalBytesWithinBudget`). */
  fingerprintCanonical(canonical: Uint8Array): { hash?: string; size?: number };
}

/** What the redactor changed for one span or log record: counts and rule types, never values. */
export interface RedactionTally {
  count: number;
  /** Created on the first redaction: most calls have none, and a Set per call and side is garbage. */
  types: Set<string> | undefined;
}

export const newTally = (): RedactionTally => ({ count: 0, types: undefined });

/** The tally's types, sorted (what `mcptrail.redaction.types` carries). */
export const tallyTypes = (tally: RedactionTally): string[] => (tally.types ? [...tally.types].sort() : []);

function addTo(tally: RedactionTally | undefined, result: { count: number; types: string[] }): void {
  if (!tally || result.count === 0) return;
  tally.count += result.count;
  tally.types ??= new Set();
  for (const t of result.types) tally.types.add(t);
}

export const REDACTION_FAILED = '[REDACTED:redaction_failed]';

export function buildRedactor(config: McpInstrumentationConfig): Redactor {
  return config.redactor ?? createRedactor(config.redaction ?? {});
}

/**
 * Short strings that repeat on every call (session ids, tool and method names, client ids, scopes): redacted
 * once, the result (value, count, types) remembered, so a call replays it into its tally. Bounded: a client
 * inventing a new name per call only churns the memo.
 */
const MEMO_MAX_LENGTH = 256;
const MEMO_MAX_ENTRIES = 1024;

type Redacted = { value: string; count: number; types: string[] };

function memoized(redact: (value: string) => Redacted): (value: string) => Redacted {
  const memo = new Map<string, Redacted>();
  return (value) => {
    if (value.length > MEMO_MAX_LENGTH) return redact(value);
    let hit = memo.get(value);
    if (hit === undefined) {
      const r = redact(value);
      hit = { value: r.value, count: r.count, types: r.types };
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      memo.set(value, hit);
    }
    return hit;
  };
}

export function telemetryRedaction(redactor: Redactor): TelemetryRedaction {
  const redactText = memoized((v) => redactor.redactText(v));
  // A Redactor from an older @mcptrail/redact has no redactIdentifier: masks then, as before.
  const redactIdentifier = memoized((v) =>
    typeof redactor.redactIdentifier === 'function' ? redactor.redactIdentifier(v) : redactor.redactText(v),
  );
  return {
    json(value, tally) {
      try {
        if (typeof redactor.redactJson === 'function') {
          const result = redactor.redactJson(value);
          addTo(tally, result);
          return result.value;
        }
        const result = redactor.redact(value);
        addTo(tally, result);
        return JSON.stringify(result.value) ?? 'null';
      } catch {
        return JSON.stringify(REDACTION_FAILED);
      }
    },
    scan(value, tally) {
      try {
        // No copy is built where the redactor can scan (an older @mcptrail/redact only redacts).
        addTo(tally, typeof redactor.scan === 'function' ? redactor.scan(value) : redactor.redact(value));
      } catch {
        // Nothing is exported from a scan, so a failing redactor only costs the tally.
      }
    },
    text(value, maxLength, tally) {
      let out: string;
      try {
        const result = redactText(value);
        addTo(tally, result);
        out = result.value;
      } catch {
        return REDACTION_FAILED;
      }
      return maxLength !== undefined && out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
    },
    identifier(value, tally) {
      try {
        const result = redactIdentifier(value);
        addTo(tally, result);
        return result.value;
      } catch {
        return REDACTION_FAILED;
      }
    },
    fingerprint(value) {
      if (value === undefined) return {};
      try {
        const canonical = canonicalJson(value);
        return { hash: redactor.keyedHash(canonical), size: Buffer.byteLength(canonical, 'utf8') };
      } catch {
        return {};
      }
    },
    fingerprintCanonical(canonical) {
      try {
        return { hash: redactor.keyedHash(canonical), size: canonical.length };
      } catch {
        return {};
      }
    },
  };
}
