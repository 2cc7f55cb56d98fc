import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ReceiverError } from './errors';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks `Authorization: Bearer <token>`. Both sides are hashed to SHA-256 first so the
 * constant-time compare also hides the token's length. Messages never echo what was sent.
 */
export function createBearerCheck(token: string): (req: IncomingMessage) => ReceiverError | null {
  const check = createAuthorizationCheck(token);
  return (req) => check(req.headers.authorization);
}

/** The same check over an `authorization` value from any transport (HTTP header, gRPC metadata). */
export function createAuthorizationCheck(token: string): (header: string | undefined) => ReceiverError | null {
  const expected = digest(token);
  return (header) => {
    if (header === undefined || header === '') {
      return new ReceiverError('MCPTRAIL_OTLP_UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)');
    }
    const m = BEARER.exec(header);
    const ok = m !== null && timingSafeEqual(digest(m[1] as string), expected);
    return ok ? null : new ReceiverError('MCPTRAIL_OTLP_UNAUTHORIZED', 'invalid bearer token');
  };
}

/** The WWW-Authenticate challenge (RFC 6750) for a 401. */
export function bearerChallenge(err: ReceiverError): string {
  return err.message.startsWith('missing') ? 'Bearer realm="mcptrail"' : 'Bearer realm="mcptrail", error="invalid_token"';
}
