import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address stands for when counting attempts: an IPv4
 * address itself, an IPv6 address's /64 (one host usually holds a whole /64,
 * so counting single addresses would let it rotate through 2^64 of them).
 * IPv4-mapped IPv6 counts as its IPv4 address; anything else is kept as is.
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(ip)) return ip;
  const addr = ip.split('%')[0]!.toLowerCase();
  const [head, tail] = addr.includes('::') ? (addr.split('::') as [string, string]) : [addr, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
