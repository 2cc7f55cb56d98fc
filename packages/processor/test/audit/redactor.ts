// TEMPORARY until @mcptrail/redact's index lands: replaced by createRedactor().
export function testRedactor() {
  return { redact: (v: unknown) => ({ value: v }), redactText: (s: string) => ({ value: s }) };
}
