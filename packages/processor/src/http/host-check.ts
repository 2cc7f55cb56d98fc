/**
 * DNS-rebinding and cross-site guard. A page on `attacker.example` that re-points its name at
 * 127.0.0.1 reaches the processor with `Host: attacker.example`; a page on another origin
 * calling in sends its `Origin`. So: a Host must be an IP literal (a page can only be served
 * from that origin by the processor itself), `localhost`, `*.localhost` (browsers resolve
 * those to loopback themselves) or a configured name; an Origin must be the request's own
 * (same host and port) or a configured one. The rule is the one Vite's `server.allowedHosts`
 * uses, plus the Origin check browsers make possible.
 */
import { isIP } from 'node:net';
import { ReceiverError } from './errors';

export interface HostPolicy {
  /** null when the Host is acceptable; the 421 to answer otherwise. */
  checkHost(host: string | undefined): ReceiverError | null;
  /** null when there is no Origin or it is acceptable; the 403 to answer otherwise. */
  checkOrigin(origin: string | undefined, host: string | undefined): ReceiverError | null;
}

/** `example.com:4318` → `example.com`; `[::1]:4318` → `::1`. Lowercased, trailing dot dropped. */
export function hostName(hostHeader: string): string {
  let h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * `allowedHosts`: exact names, `.example.com` for the name and its subdomains, `*` to turn the
 * Host check off. `allowedOrigins`: exact origins (`https://console.example.com`), `*` for any.
 */
export function createHostPolicy(allowedHosts: readonly string[] = [], allowedOrigins: readonly string[] = []): HostPolicy {
  const anyHost = allowedHosts.includes('*');
  const exact = new Set(allowedHosts.filter((h) => !h.startsWith('.')).map((h) => hostName(h)));
  const suffixes = allowedHosts.filter((h) => h.startsWith('.')).map((h) => h.toLowerCase());
  const anyOrigin = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));

  const hostAllowed = (header: string): boolean => {
    const name = hostName(header);
    if (name === '') return false;
    if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
    return exact.has(name) || suffixes.some((s) => name === s.slice(1) || name.endsWith(s));
  };

  return {
    checkHost(host) {
      if (anyHost || (host !== undefined && hostAllowed(host))) return null;
      return new ReceiverError(
        'MCPTRAIL_HTTP_MISDIRECTED',
        `host ${JSON.stringify((host ?? '').slice(0, 64))} is not served here; add it to receiver.allowed_hosts (guard against DNS rebinding)`,
      );
    },
    checkOrigin(origin, host) {
      if (origin === undefined || anyOrigin) return null;
      const o = origin.trim().toLowerCase();
      if (origins.has(o)) return null;
      // Same origin: the Origin's authority is the Host this request was sent to.
      let authority: string | null = null;
      try {
        authority = o === 'null' ? null : new URL(o).host;
      } catch {
        authority = null;
      }
      if (authority !== null && host !== undefined && authority === host.trim().toLowerCase() && (anyHost || hostAllowed(host))) return null;
      return new ReceiverError(
        'MCPTRAIL_HTTP_FORBIDDEN',
        `origin ${JSON.stringify(o.slice(0, 80))} may not call this processor; add it to receiver.allowed_origins`,
      );
    },
  };
}
