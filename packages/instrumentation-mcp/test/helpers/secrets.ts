import { findLeaks, SECRET_CORPUS, secretArgs } from '../../../redact/test/fixtures/secret-corpus';

/** Where the process tests put the shared secret corpus. */
export interface SecretPlacements {
  /** `store_credentials` arguments: the corpus nested under innocuous and sensitive keys, plus every value in a list. */
  nestedArguments: { profile: Record<string, unknown>; notes: string[] };
  /** Returned by the `leak_config` tool: every value, one per line. */
  resultText: string;
  /** Thrown by the `explode` tool: every value in one message. */
  errorText: string;
  /** HTTP request headers carrying every single-line value. */
  headers: Record<string, string>;
  /** A corpus JWT used as the bearer token the HTTP fixture accepts. */
  bearerToken: string;
  /** Corpus values (or distinctive parts) found in the bytes. */
  findLeaks: (haystack: string | Uint8Array) => string[];
  /** How many corpus values the result text holds (the control: findLeaks must see them there). */
  inResults: number;
  kinds: number;
}

export function secretPlacements(): SecretPlacements {
  const values = SECRET_CORPUS.map((s) => s.value);
  const singleLine = SECRET_CORPUS.filter((s) => !/[\r\n]/.test(s.value) && /^[\x20-\x7e]+$/.test(s.value));
  const jwt = SECRET_CORPUS.find((s) => /jwt/i.test(s.kind) && /^eyJ/.test(s.value));
  if (jwt === undefined) throw new Error('the secret corpus has no JWT for the bearer token');
  const headers: Record<string, string> = {};
  singleLine.forEach((s, i) => {
    headers[`X-Secret-${i + 1}`] = s.value;
  });
  headers['X-Api-Key'] = singleLine[0]?.value ?? '';
  headers.Cookie = `session=${singleLine[1]?.value ?? ''}`;
  const resultText = SECRET_CORPUS.map((s) => `${s.kind}: ${s.value}`).join('\n');
  return {
    nestedArguments: { profile: secretArgs() as Record<string, unknown>, notes: values },
    resultText,
    errorText: `upstream refused the request: ${values.join(' | ')}`,
    headers,
    bearerToken: jwt.value,
    findLeaks,
    inResults: findLeaks(resultText).length,
    kinds: new Set(SECRET_CORPUS.map((s) => s.kind)).size,
  };
}

export { SECRET_CORPUS };
