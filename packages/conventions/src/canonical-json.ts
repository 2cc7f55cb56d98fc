/**
 * Canonical JSON (RFC 8785 style for the values we produce): object keys sorted by
 * UTF-16 code units, no whitespace, `undefined` members dropped, non-finite numbers
 * rejected. One home for it because three places must agree byte for byte: the
 * instrumentation's argument hash, the tool schema fingerprint and the audit chain.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set());
}

function serialize(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object':
      break;
    default:
      // undefined, functions and symbols have no JSON form; callers drop them as members.
      return 'null';
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('canonicalJson: cyclic value');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return `[${obj.map((v) => serialize(v, seen)).join(',')}]`;
    const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return serialize(toJSON.call(obj), seen);
    const keys = Object.keys(obj)
      .filter((k) => {
        const v = (obj as Record<string, unknown>)[k];
        return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
      })
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${serialize((obj as Record<string, unknown>)[k], seen)}`).join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
