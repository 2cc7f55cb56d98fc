/**
 * The redactor's output grammar, in one place: what a replaced value looks like, so the
 * processor, detections and tests recognise it (and redacting twice changes nothing).
 *
 * - mask: `[REDACTED:<type>]`, `<type>` = `[a-z0-9_:]+` (`jwt`, `key:password`, `gitlab_pat`);
 * - hmac: `hmac:<keyId>:<16 hex>` (pseudonym) or `hmac:<keyId>:<64 hex>` (keyedHash);
 * - bounds: `[TRUNCATED]`, `[TRUNCATED <n> items]`, `…[TRUNCATED]`, `[Circular]`, `[Binary <n> bytes]`.
 */
export const MARKER_PREFIX = '[REDACTED';
export const PSEUDONYM_PREFIX = 'hmac:';

/** One whole marker or pseudonym. */
export const REDACTION_MARKER_RE = /^(?:\[REDACTED(?::[a-z0-9_:]+)?\]|hmac:[A-Za-z0-9._-]{1,32}:[0-9a-f]{16}(?:[0-9a-f]{48})?)$/;
/** `[REDACTED:<type>]` markers inside text; group 1 is the type. Global: reset lastIndex or use matchAll. */
export const REDACTION_MARKER_IN_TEXT_RE = /\[REDACTED:([a-z0-9_:]{1,64})\]/g;

/** Output of a previous redaction (ours or the emitter's): redacting it again must change nothing. */
export function isRedactionMarker(value: string): boolean {
  return value.length <= 120 && REDACTION_MARKER_RE.test(value);
}

/** Types of the `[REDACTED:<type>]` markers in a string. */
export function markerTypes(text: string): string[] {
  if (!text.includes('[REDACTED:')) return [];
  const out: string[] = [];
  for (const m of text.matchAll(REDACTION_MARKER_IN_TEXT_RE)) out.push(m[1]!);
  return out;
}

const MARKERS = new Map<string, string>();
/** `[REDACTED:<type>]`, built once per type (types come from rules and key labels: a bounded set). */
export function marker(type: string): string {
  let m = MARKERS.get(type);
  if (m === undefined) {
    m = `[REDACTED:${type}]`;
    if (MARKERS.size < 1024) MARKERS.set(type, m);
  }
  return m;
}
