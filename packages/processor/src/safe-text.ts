/**
 * Telemetry text is never terminal control or hidden text: one home for the rule that
 * makes names safe to store and every output (CLI tables, JSON lines, API bodies, sink
 * payloads) safe to print.
 *
 * UNSAFE: C0 controls (U+0000-U+001F: NUL, ESC, BEL, CR, ...), DEL, C1 controls
 * (U+0080-U+009F, e.g. the 8-bit CSI U+009B), the line and paragraph separators,
 * bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069),
 * zero-width and invisible characters (U+200B-U+200D, U+2060-U+2064, U+FEFF) and
 * Unicode tag characters (U+E0000-U+E007F).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

const unit = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

export function hasUnsafeText(s: string): boolean {
  return UNSAFE.test(s);
}

/**
 * Each unsafe character becomes the visible text `\uXXXX` (`\u001b` for ESC; a tag
 * character becomes its two UTF-16 escapes). The same text is a valid escape inside a
 * JSON string, so this one rule serves stored names, human output and JSON output.
 * Text without an unsafe character is returned as is.
 */
export function escapeUnsafe(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_ALL, (c) => (c.length === 1 ? unit(c.charCodeAt(0)) : unit(c.charCodeAt(0)) + unit(c.charCodeAt(1))));
}

/**
 * JSON.stringify, then every unsafe character JSON leaves raw (DEL, C1, bidi, invisible)
 * written as a `\uXXXX` escape: the parsed value is unchanged, the bytes are plain to a
 * terminal. (Outside strings JSON text is ASCII, so only string contents are touched.)
 */
export function safeJsonStringify(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space);
  return text === undefined ? text : escapeUnsafe(text);
}

/** Text for a terminal or a log line: unsafe characters escaped, line breaks kept. */
export function safeLines(text: string): string {
  return text.split('\n').map(escapeUnsafe).join('\n');
}
