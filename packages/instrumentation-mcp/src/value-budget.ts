/**
 * Bounded work per call: before any serialisation, redaction or hashing, a tool call's arguments (and
 * its result) are measured against a byte and a node budget, stopping as soon as either is exceeded, so
 * a 10 MB string or 200,000 small objects cost a bounded walk instead of full passes. A value over budget
 * is fingerprinted from a bounded view and exported only as a marker (`{"$truncated":true,"$bytes":N}`):
 * never a cut-off redaction, which could leave half a secret unrecognised.
 */
export interface ValueBudget {
  /** UTF-16 code units of strings plus a few per scalar and key; the JSON size, roughly. */
  maxBytes: number;
  /** Values visited (objects, arrays, scalars). */
  maxNodes: number;
}

export const DEFAULT_VALUE_BUDGET: ValueBudget = { maxBytes: 1024 * 1024, maxNodes: 20_000 };

export interface Measured {
  over: boolean;
  /** Approximate JSON size; a lower bound when the walk stopped at the budget. */
  bytes: number;
  nodes: number;
}

/** Walks `value` depth-first until the budget is exceeded. Never throws (cycles end the walk: over). */
export function measure(value: unknown, budget: ValueBudget = DEFAULT_VALUE_BUDGET): Measured {
  let bytes = 0;
  let nodes = 0;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const v = stack.pop();
    nodes++;
    if (typeof v === 'string') bytes += v.length + 2;
    else if (v === null || typeof v !== 'object') bytes += 8;
    else {
      if (seen.has(v)) return { over: true, bytes, nodes };
      seen.add(v);
      if (Array.isArray(v)) {
        bytes += 2 + v.length;
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      } else {
        bytes += 2;
        for (const key of Object.keys(v)) {
          bytes += key.length + 4;
          stack.push((v as Record<string, unknown>)[key]);
        }
      }
    }
    if (bytes > budget.maxBytes || nodes > budget.maxNodes) return { over: true, bytes, nodes };
  }
  return { over: false, bytes, nodes };
}

const VIEW_STRING_CHARS = 256;
const VIEW_NODES = 256;

/**
 * A small, deterministic stand-in for an over-budget value, for its fingerprint: the first few hundred
 * values of the walk, strings cut to their first characters and their length. Equal values give equal
 * views; values that differ only past the view collide, which the `$bytes` beside the hash narrows.
 */
export function boundedView(value: unknown): unknown {
  let budget = VIEW_NODES;
  const view = (v: unknown, depth: number): unknown => {
    if (budget-- <= 0 || depth > 32) return '$cut';
    if (typeof v === 'string') return v.length > VIEW_STRING_CHARS ? `${v.slice(0, VIEW_STRING_CHARS)}…$len:${v.length}` : v;
    if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
    if (Array.isArray(v)) return { $len: v.length, items: v.slice(0, 32).map((x) => view(x, depth + 1)) };
    const out: Record<string, unknown> = {};
    const keys = Object.keys(v);
    for (const k of keys.slice(0, 64)) out[k] = view((v as Record<string, unknown>)[k], depth + 1);
    if (keys.length > 64) out['$keys'] = keys.length;
    return out;
  };
  return view(value, 0);
}

/** What an over-budget value is exported as (arguments, captured results). */
export function truncatedMarker(m: Measured): string {
  return JSON.stringify({ $truncated: true, $bytes: m.bytes });
}
