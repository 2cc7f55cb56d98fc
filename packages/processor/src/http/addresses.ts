import { BlockList, isIP } from 'node:net';

/** `[::1]` → `::1`; `::ffff:127.0.0.1` → `127.0.0.1` (how Node reports IPv4 peers on a dual-stack socket). */
export function plainAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) a = a.slice(7);
  return a;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for `localhost`, 127.0.0.0/8 and ::1: a listener only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const a = plainAddress(host).toLowerCase();
  if (a === 'localhost') return true;
  const family = isIP(a);
  return family !== 0 && LOOPBACK.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A list of IPs and CIDR ranges (`10.0.0.0/8`, `::1`) as one matcher; throws naming the first
 * entry that is neither.
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(plainAddress(ip ?? ''));
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (family === 0 || extra !== undefined) throw new TypeError(`${JSON.stringify(entry)} is not an IP address or CIDR range`);
    if (bits === undefined) list.addAddress(plainAddress(ip as string), type);
    else {
      const n = Number(bits);
      if (!/^\d+$/.test(bits) || n > (family === 4 ? 32 : 128)) throw new TypeError(`${JSON.stringify(entry)} has an invalid prefix length`);
      list.addSubnet(plainAddress(ip as string), n, type);
    }
  }
  return (address) => {
    const a = plainAddress(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}
