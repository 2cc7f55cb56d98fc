import { isIP } from 'node:net';
import { addressMatcher, plainAddress } from './addresses';

/**
 * The emitter's address: the connection's peer, never a header the sender wrote, unless the
 * peer is a configured trusted proxy; then the right-most X-Forwarded-For entry that is not
 * itself a trusted proxy (entries left of it were written by whoever called the proxy).
 */
export function createPeerResolver(trustedProxies: readonly string[]): (socketAddress: string | undefined, forwardedFor: string | string[] | undefined) => string | null {
  const trusted = addressMatcher(trustedProxies);
  return (socketAddress, forwardedFor) => {
    if (socketAddress === undefined) return null;
    let address = plainAddress(socketAddress);
    if (!trusted(address) || forwardedFor === undefined) return address;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((h) => plainAddress(h))
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      // Not an address: the chain is unusable from here on; keep the last hop we could read.
      if (isIP(hop) === 0) break;
      address = hop;
      if (!trusted(hop)) break;
    }
    return address;
  };
}
