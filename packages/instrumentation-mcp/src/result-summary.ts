import type { ResultSummary } from '@mcptrail/conventions';

/** Bytes of the JSON of a value, or undefined when it has no JSON form (cycles, BigInt). */
export function jsonSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : Buffer.byteLength(json, 'utf8');
  } catch {
    return undefined;
  }
}

/** Content count, types, size and isError of a `tools/call` result, without any content. */
export function summarizeToolResult(result: unknown): ResultSummary {
  const r = (result && typeof result === 'object' ? result : {}) as { content?: unknown; isError?: unknown };
  const content = Array.isArray(r.content) ? r.content : [];
  return {
    content_count: content.length,
    content_types: content.map((c) =>
      c && typeof c === 'object' && typeof (c as { type?: unknown }).type === 'string' ? (c as { type: string }).type : 'unknown',
    ),
    size: jsonSize(result) ?? 0,
    is_error: r.isError === true,
  };
}

/** The text a tool put in an isError result (the SDK puts thrown messages there), for the error message attribute. */
export function toolErrorText(result: unknown): string | undefined {
  const content = (result as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter((c): c is { type: 'text'; text: string } => c?.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text);
  return texts.length > 0 ? texts.join('\n') : undefined;
}
