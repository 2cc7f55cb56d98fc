import { createRedactor } from '@mcptrail/redact';

/** The real redactor with a fixed key, so keyed pseudonyms are stable across a test. */
export function testRedactor() {
  return createRedactor({ hmacKey: 'mcptrail-test-key', hmacKeyId: 't1' });
}
