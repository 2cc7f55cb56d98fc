/**
 * Who is calling: bearer tokens and mTLS client certificates resolved to a Principal with
 * one role (`write` = send OTLP, `read` = the query API and console) and, for writers, the
 * `service.name` / `enduser.id` values it may assert. One Authenticator serves HTTP and gRPC.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ReceiverError } from './errors';

export type Role = 'write' | 'read';

/** One configured credential (auth.credentials[], or the receiver.token / read_token shorthands). */
export interface CredentialSpec {
  id: string;
  role: Role;
  /** Exactly one of token, tokenSha256, certCn. */
  token?: string | null;
  tokenSha256?: string | null;
  certCn?: string | null;
  /** Globs of the service.name values it may assert (writers). @default ['*'] */
  services?: readonly string[];
  /** Globs of the enduser.id values it may assert (writers). @default ['*'] */
  actors?: readonly string[];
}

export interface Principal {
  /** The credential's id, recorded in audit records; null when the listener runs without auth. */
  id: string | null;
  /** null: auth is off, every role is granted. */
  role: Role | null;
  services: readonly string[];
  actors: readonly string[];
}

/** The caller when no credential is configured at all (loopback development setups). */
export const ANONYMOUS: Principal = Object.freeze({ id: null, role: null, services: ['*'], actors: ['*'] });

export interface Authenticator {
  /** False when no credential is configured: every caller is ANONYMOUS. */
  readonly required: boolean;
  /**
   * From an `authorization` value (HTTP header or gRPC metadata) and the verified client
   * certificate's subject CN, if any. A token, when sent, decides; otherwise the certificate.
   */
  authenticate(authorization: string | undefined, certCn: string | null): Principal | ReceiverError;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Tokens are kept only as SHA-256 digests and compared in constant time against every
 * configured digest (no early exit, so timing reveals neither which nor how long).
 * Messages never echo what was sent.
 */
export function createAuthenticator(specs: readonly CredentialSpec[], opts: { clientCerts?: boolean } = {}): Authenticator {
  const byToken: Array<{ digest: Buffer; principal: Principal }> = [];
  const byCert = new Map<string, Principal>();
  for (const s of specs) {
    const principal: Principal = Object.freeze({ id: s.id, role: s.role, services: s.services ?? ['*'], actors: s.actors ?? ['*'] });
    if (s.token) byToken.push({ digest: digest(s.token), principal });
    else if (s.tokenSha256) byToken.push({ digest: Buffer.from(s.tokenSha256, 'hex'), principal });
    else if (s.certCn) byCert.set(s.certCn, principal);
  }
  const required = specs.length > 0 || opts.clientCerts === true;
  return {
    required,
    authenticate(header, certCn) {
      if (!required) return ANONYMOUS;
      if (header !== undefined && header !== '') {
        const m = BEARER.exec(header);
        const sent = digest(m ? (m[1] as string) : '');
        let found: Principal | null = null;
        for (const t of byToken) if (timingSafeEqual(sent, t.digest) && m) found = t.principal;
        return found ?? new ReceiverError('MCPTRAIL_OTLP_UNAUTHORIZED', 'invalid bearer token');
      }
      if (certCn !== null) {
        const p = byCert.get(certCn);
        if (p) return p;
        return new ReceiverError('MCPTRAIL_HTTP_FORBIDDEN', 'the client certificate is not mapped to a credential (auth.credentials[].cert_cn)');
      }
      return new ReceiverError('MCPTRAIL_OTLP_UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)');
    },
  };
}

/** The subject CN of a verified client certificate on a TLS request; null otherwise. */
export function clientCertCn(req: IncomingMessage): string | null {
  const socket = req.socket as IncomingMessage['socket'] & { authorized?: boolean; getPeerCertificate?: () => { subject?: { CN?: string | string[] } } };
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' ? cn : Array.isArray(cn) ? (cn[0] ?? null) : null;
}

/** 403 unless the principal holds `role` (auth off grants every role). */
export function requireRole(principal: Principal, role: Role): ReceiverError | null {
  if (principal.role === null || principal.role === role) return null;
  return new ReceiverError(
    'MCPTRAIL_HTTP_FORBIDDEN',
    role === 'read' ? `credential '${principal.id}' is a write (emitter) credential: it cannot read the trail` : `credential '${principal.id}' is a read credential: it cannot send telemetry`,
  );
}

/** The WWW-Authenticate challenge (RFC 6750) for a 401. */
export function bearerChallenge(err: ReceiverError): string {
  return err.message.startsWith('missing') ? 'Bearer realm="mcptrail"' : 'Bearer realm="mcptrail", error="invalid_token"';
}

/** Credentials from the configuration: the two shorthand tokens first, then auth.credentials. */
export function credentialsFromConfig(cfg: {
  receiver: { token: string | null; read_token: string | null };
  auth: { credentials: ReadonlyArray<{ id: string; role: Role; token: string | null; token_sha256: string | null; cert_cn: string | null; services: string[]; actors: string[] }> };
}): CredentialSpec[] {
  const out: CredentialSpec[] = [];
  if (cfg.receiver.token) out.push({ id: 'receiver.token', role: 'write', token: cfg.receiver.token });
  if (cfg.receiver.read_token) out.push({ id: 'receiver.read_token', role: 'read', token: cfg.receiver.read_token });
  for (const c of cfg.auth.credentials) {
    out.push({ id: c.id, role: c.role, token: c.token, tokenSha256: c.token_sha256, certCn: c.cert_cn, services: c.services, actors: c.actors });
  }
  return out;
}
