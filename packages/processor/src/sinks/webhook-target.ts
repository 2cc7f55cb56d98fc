/**
 * Where a webhook may point. Link-local addresses (169.254.0.0/16, fe80::/10) hold cloud
 * metadata services (169.254.169.254 hands out instance credentials), so a webhook URL, or
 * the address its name resolves to at delivery time, in those ranges or at a known metadata
 * host is refused unless `sinks.webhook.allow_link_local` says otherwise.
 */
import { BlockList, isIP } from 'node:net';
import { plainAddress } from '../http/addresses';

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
// Metadata services outside link-local: Alibaba Cloud, AWS's IPv6 endpoint; 0.0.0.0 reaches the local host.
LINK_LOCAL.addAddress('100.100.100.200', 'ipv4');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');
LINK_LOCAL.addAddress('0.0.0.0', 'ipv4');
LINK_LOCAL.addAddress('::', 'ipv6');

const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

/** True for an address a webhook must not reach without an explicit opt-in. */
export function isLinkLocalOrMetadata(address: string): boolean {
  const a = plainAddress(address);
  const family = isIP(a);
  if (family === 0) return false;
  return LINK_LOCAL.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `url` may not be a webhook target (null when it may): checked at config load. */
export function webhookUrlProblem(url: string, allowLinkLocal: boolean): string | null {
  if (allowLinkLocal) return null;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return null; // the URL rule reports it
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (METADATA_NAMES.has(bare) || isLinkLocalOrMetadata(bare)) {
    return `points at a link-local or cloud-metadata address (${bare}); set sinks.webhook.allow_link_local: true if that is really intended`;
  }
  return null;
}
