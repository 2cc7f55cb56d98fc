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

/** Thrown inside the walks below: the value is over budget, or has a form the fast walk leaves to the general path. */
const STOP: unique symbol = Symbol('stop');

/**
 * One walk over a tool call's arguments that both checks the budget (the same accounting as `measure`) and
 * writes their canonical JSON as UTF-8 bytes (`canonicalJson` of `@mcptrail/conventions`, byte for byte: keys
 * sorted by UTF-16 code units, `undefined`/function/symbol members dropped, in arrays `null`, strings escaped as
 * `JSON.stringify` escapes them). The bytes are what the keyed hash reads and their count is the size, so no JSON
 * string is built: the walk writes into a reused scratch buffer (string building cost ~2 KB of short strings per
 * call and side). Covers what JSON-RPC delivers (plain objects, arrays, strings, finite numbers, booleans, null);
 * anything else (over budget, `toJSON`, BigInt, non-finite numbers, shared or cyclic references, inherited names
 * such as `__proto__`) returns undefined and the caller takes the general path.
 *
 * The returned view is valid until the next call (it may share the scratch buffer): hash it at once.
 */
export function canonicalBytesWithinBudget(value: unknown, budget: ValueBudget = DEFAULT_VALUE_BUDGET): Uint8Array | undefined {
  const w: CanonicalWriter = { bytes: 0, nodes: 0, seen: [], seenSet: undefined, buf: scratch, pos: 0 };
  try {
    if (!writeCanonical(value, w, budget, false)) writeAscii(w, 'null');
  } catch (err) {
    if (err === STOP) return undefined;
    throw err;
  }
  return w.buf.subarray(0, w.pos);
}

interface WalkState {
  bytes: number;
  nodes: number;
  seen: Set<object>;
}

interface CanonicalWriter {
  bytes: number;
  nodes: number;
  /** Objects on the walk so far: an array while small (no hashing, no table), a Set past SEEN_ARRAY_MAX. */
  seen: object[];
  seenSet: Set<object> | undefined;
  buf: Buffer;
  pos: number;
}

const SEEN_ARRAY_MAX = 32;
/** Kept between calls; a larger value gets a buffer of its own, dropped after the call. */
const SCRATCH_BYTES = 16 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
const HEX = '0123456789abcdef';

function charge(state: { bytes: number; nodes: number }, budget: ValueBudget, bytes: number): void {
  state.nodes++;
  state.bytes += bytes;
  if (state.bytes > budget.maxBytes || state.nodes > budget.maxNodes) throw STOP;
}

function reserve(w: CanonicalWriter, n: number): void {
  if (w.pos + n <= w.buf.length) return;
  const grown = Buffer.allocUnsafe(Math.max(w.buf.length * 2, w.pos + n));
  w.buf.copy(grown, 0, 0, w.pos);
  w.buf = grown;
}

/** A string known to be ASCII with nothing to escape (literals, numbers, punctuation). */
function writeAscii(w: CanonicalWriter, s: string): void {
  reserve(w, s.length);
  for (let i = 0; i < s.length; i++) w.buf[w.pos++] = s.charCodeAt(i);
}

function writeByte(w: CanonicalWriter, b: number): void {
  reserve(w, 1);
  w.buf[w.pos++] = b;
}

/** `\uXXXX` with lowercase hex, as JSON.stringify writes control characters and lone surrogates. */
function writeUnicodeEscape(w: CanonicalWriter, c: number): void {
  const buf = w.buf;
  buf[w.pos++] = 0x5c;
  buf[w.pos++] = 0x75;
  buf[w.pos++] = HEX.charCodeAt((c >> 12) & 15);
  buf[w.pos++] = HEX.charCodeAt((c >> 8) & 15);
  buf[w.pos++] = HEX.charCodeAt((c >> 4) & 15);
  buf[w.pos++] = HEX.charCodeAt(c & 15);
}

/** `JSON.stringify(s)` as UTF-8, written in place (at most 6 bytes per UTF-16 code unit, plus the quotes). */
function writeJsonString(w: CanonicalWriter, s: string): void {
  reserve(w, s.length * 6 + 2);
  const buf = w.buf;
  buf[w.pos++] = 0x22;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) buf[w.pos++] = c;
      else if (c === 0x22 || c === 0x5c) {
        buf[w.pos++] = 0x5c;
        buf[w.pos++] = c;
      } else if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) {
        buf[w.pos++] = 0x5c;
        buf[w.pos++] = c === 0x08 ? 0x62 : c === 0x09 ? 0x74 : c === 0x0a ? 0x6e : c === 0x0c ? 0x66 : 0x72;
      } else writeUnicodeEscape(w, c);
    } else if (c < 0x800) {
      buf[w.pos++] = 0xc0 | (c >> 6);
      buf[w.pos++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      buf[w.pos++] = 0xf0 | (cp >> 18);
      buf[w.pos++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[w.pos++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[w.pos++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) writeUnicodeEscape(w, c);
    else {
      buf[w.pos++] = 0xe0 | (c >> 12);
      buf[w.pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[w.pos++] = 0x80 | (c & 0x3f);
    }
  }
  buf[w.pos++] = 0x22;
}

/** A shared or cyclic reference stops the walk (the general path serialises it, or refuses a cycle). */
function visit(w: CanonicalWriter, v: object): void {
  if (w.seenSet !== undefined) {
    if (w.seenSet.has(v)) throw STOP;
    w.seenSet.add(v);
    return;
  }
  if (w.seen.includes(v)) throw STOP;
  w.seen.push(v);
  if (w.seen.length > SEEN_ARRAY_MAX) w.seenSet = new Set(w.seen);
}

/** Sorts by UTF-16 code units, in place: insertion sort for the few keys of a typical object. */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
}

/** Appends `v`'s canonical JSON; false (and nothing written) for a value JSON drops (undefined, function, symbol). */
function writeCanonical(v: unknown, w: CanonicalWriter, budget: ValueBudget, inArray: boolean): boolean {
  switch (typeof v) {
    case 'string':
      charge(w, budget, v.length + 2);
      writeJsonString(w, v);
      return true;
    case 'number':
      if (!Number.isFinite(v)) throw STOP;
      charge(w, budget, 8);
      writeAscii(w, JSON.stringify(v));
      return true;
    case 'boolean':
      charge(w, budget, 8);
      writeAscii(w, v ? 'true' : 'false');
      return true;
    case 'object':
      break;
    case 'bigint':
      throw STOP;
    default:
      // undefined, functions, symbols: `null` in an array, dropped as a member (as JSON.stringify does).
      charge(w, budget, 8);
      if (inArray) writeAscii(w, 'null');
      return inArray;
  }
  if (v === null) {
    charge(w, budget, 8);
    writeAscii(w, 'null');
    return true;
  }
  visit(w, v);
  if (Array.isArray(v)) {
    charge(w, budget, 2 + v.length);
    writeByte(w, 0x5b);
    for (let i = 0; i < v.length; i++) {
      if (i > 0) writeByte(w, 0x2c);
      writeCanonical(v[i], w, budget, true);
    }
    writeByte(w, 0x5d);
    return true;
  }
  // Only plain objects (no `toJSON`, no class instances), and no own name that shadows an inherited one.
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw STOP;
  const keys = Object.keys(v);
  let keyBytes = 2;
  for (const key of keys) {
    keyBytes += key.length + 4;
    if (key in Object.prototype) throw STOP;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') throw STOP;
  charge(w, budget, keyBytes);
  sortKeys(keys);
  writeByte(w, 0x7b);
  let first = true;
  for (const key of keys) {
    const member = (v as Record<string, unknown>)[key];
    const t = typeof member;
    if (member === undefined || t === 'function' || t === 'symbol') {
      charge(w, budget, 8);
      continue;
    }
    if (!first) writeByte(w, 0x2c);
    first = false;
    writeJsonString(w, key);
    writeByte(w, 0x3a);
    writeCanonical(member, w, budget, false);
  }
  writeByte(w, 0x7d);
  return true;
}

/** UTF-8 bytes of `JSON.stringify(s)`, without building it. */
export function jsonStringBytes(s: string): number {
  let bytes = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) bytes += 1;
      else if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) bytes += 2;
      else bytes += 6;
    } else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) bytes += 6; // a lone surrogate: JSON.stringify escapes it (\udXXX)
    else bytes += 3;
  }
  return bytes;
}

/**
 * `measure` plus the exact UTF-8 size of the value's JSON (`size`), in the same walk: what the result summary
 * reports, without serialising the result. `size` is undefined when the value is over budget or not plain JSON
 * (`toJSON`, BigInt, shared references): the caller then measures the general way.
 */
export function measureJson(value: unknown, budget: ValueBudget = DEFAULT_VALUE_BUDGET): Measured & { size?: number } {
  const state = { bytes: 0, nodes: 0, seen: new Set<object>() };
  try {
    const size = sizeNode(value, state, budget, false);
    return { over: false, bytes: state.bytes, nodes: state.nodes, size };
  } catch (err) {
    if (err !== STOP) throw err;
    return measure(value, budget);
  }
}

function sizeNode(v: unknown, state: WalkState, budget: ValueBudget, member: boolean): number {
  switch (typeof v) {
    case 'string':
      charge(state, budget, v.length + 2);
      return jsonStringBytes(v);
    case 'number':
      charge(state, budget, 8);
      return Number.isFinite(v) ? String(v).length : 4;
    case 'boolean':
      charge(state, budget, 8);
      return v ? 4 : 5;
    case 'object':
      break;
    default:
      if (typeof v === 'bigint') throw STOP;
      charge(state, budget, 8);
      return member ? 0 : 4; // dropped as a member, `null` in an array
  }
  if (v === null) {
    charge(state, budget, 8);
    return 4;
  }
  if (state.seen.has(v)) throw STOP;
  state.seen.add(v);
  if (Array.isArray(v)) {
    charge(state, budget, 2 + v.length);
    let bytes = 2 + Math.max(0, v.length - 1);
    for (let i = 0; i < v.length; i++) bytes += sizeNode(v[i], state, budget, false);
    return bytes;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') throw STOP;
  const keys = Object.keys(v);
  let keyBytes = 2;
  for (const key of keys) keyBytes += key.length + 4;
  charge(state, budget, keyBytes);
  let bytes = 2;
  let members = 0;
  for (const key of keys) {
    const m = (v as Record<string, unknown>)[key];
    const size = sizeNode(m, state, budget, true);
    if (m === undefined || typeof m === 'function' || typeof m === 'symbol') continue;
    bytes += jsonStringBytes(key) + 1 + size;
    members++;
  }
  return bytes + Math.max(0, members - 1);
}
