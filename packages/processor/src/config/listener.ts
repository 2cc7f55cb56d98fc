/**
 * Checks of the listener and auth keys that span several keys (zod's per-key rules cannot
 * see them): a non-loopback bind needs a credential, mTLS needs TLS, ids are unique.
 */
import { addressMatcher, isLoopbackHost } from '../http/addresses';

interface ListenerConfig {
  receiver: {
    host: string;
    token: string | null;
    read_token: string | null;
    tls_cert_file: string | null;
    tls_client_ca_file: string | null;
    insecure_no_auth: boolean;
    trusted_proxies: string[];
  };
  auth: { credentials: Array<{ id: string; cert_cn: string | null }> };
}

export interface ListenerIssue {
  path: string[];
  message: string;
}

/** True when the listener has any way to tell callers apart (a token or client certificates). */
export function hasCredentials(cfg: ListenerConfig): boolean {
  const r = cfg.receiver;
  return r.token !== null || r.read_token !== null || r.tls_client_ca_file !== null || cfg.auth.credentials.length > 0;
}

export function listenerIssues(cfg: ListenerConfig): ListenerIssue[] {
  const r = cfg.receiver;
  const issues: ListenerIssue[] = [];
  if (!isLoopbackHost(r.host) && !hasCredentials(cfg) && !r.insecure_no_auth) {
    issues.push({
      path: ['receiver', 'host'],
      message: `is not a loopback address, and no credential is configured: anyone who can reach ${r.host} could write and read the trail. Set receiver.token (MCPTRAIL_TOKEN) and receiver.read_token (MCPTRAIL_READ_TOKEN), auth.credentials or receiver.tls_client_ca_file, or pass --insecure-no-auth`,
    });
  }
  if (r.tls_client_ca_file !== null && r.tls_cert_file === null) {
    issues.push({ path: ['receiver', 'tls_client_ca_file'], message: 'needs receiver.tls_cert_file and tls_key_file (mTLS is TLS)' });
  }
  if (r.token !== null && r.token === r.read_token) {
    issues.push({ path: ['receiver', 'read_token'], message: 'must differ from receiver.token (a write token must not read the trail)' });
  }
  const seen = new Set<string>();
  cfg.auth.credentials.forEach((c, i) => {
    if (seen.has(c.id)) issues.push({ path: ['auth', 'credentials', String(i), 'id'], message: `duplicates credential id '${c.id}'` });
    seen.add(c.id);
    if (c.cert_cn !== null && r.tls_client_ca_file === null) {
      issues.push({ path: ['auth', 'credentials', String(i), 'cert_cn'], message: 'needs receiver.tls_client_ca_file (client certificates are only asked for with mTLS)' });
    }
  });
  r.trusted_proxies.forEach((p, i) => {
    try {
      addressMatcher([p]);
    } catch (err) {
      issues.push({ path: ['receiver', 'trusted_proxies', String(i)], message: (err as Error).message });
    }
  });
  return issues;
}
