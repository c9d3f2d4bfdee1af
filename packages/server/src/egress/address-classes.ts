import ipaddr from 'ipaddr.js';

/** Why an address is not public: the class named in refusals (stable strings). */
export type AddressClass =
  | 'unspecified' | 'loopback' | 'private' | 'unique-local' | 'link-local' | 'metadata' | 'carrier-grade-nat'
  | 'multicast' | 'broadcast' | 'reserved' | 'documentation' | 'benchmarking';

type Range = [AddressClass, string];

/**
 * IPv4 ranges the server never connects to on a tenant's behalf, most specific
 * first (a metadata address sits inside link-local and CGNAT ranges).
 * Sources: the IANA special-purpose address registry (RFC 6890 and updates)
 * and the cloud providers' instance-metadata documentation.
 */
const IPV4_RANGES: Range[] = [
  ['metadata', '169.254.169.254/32'], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  ['metadata', '169.254.169.253/32'], // AWS VPC DNS
  ['metadata', '169.254.170.2/32'], // AWS ECS task metadata
  ['metadata', '100.100.100.200/32'], // Alibaba Cloud
  ['metadata', '168.63.129.16/32'], // Azure WireServer (a public-looking address)
  ['broadcast', '255.255.255.255/32'],
  ['unspecified', '0.0.0.0/8'],
  ['loopback', '127.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['private', '172.16.0.0/12'],
  ['private', '192.168.0.0/16'],
  ['carrier-grade-nat', '100.64.0.0/10'],
  ['link-local', '169.254.0.0/16'],
  ['reserved', '192.0.0.0/24'], // IETF protocol assignments
  ['documentation', '192.0.2.0/24'],
  ['reserved', '192.88.99.0/24'], // 6to4 relay anycast
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
];

/** IPv6 ranges refused outright (embeddings of IPv4 are judged by the IPv4 address inside, see below). */
const IPV6_RANGES: Range[] = [
  ['metadata', 'fd00:ec2::254/128'], // AWS instance metadata over IPv6
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['private', '64:ff9b:1::/48'], // local-use NAT64 (RFC 8215)
  ['reserved', '100::/64'], // discard-only
  ['benchmarking', '2001:2::/48'],
  ['reserved', '2001:10::/28'], // ORCHID
  ['reserved', '2001:20::/28'], // ORCHIDv2
  ['documentation', '2001:db8::/32'],
  ['documentation', '3fff::/20'],
  ['unique-local', 'fc00::/7'],
  ['link-local', 'fe80::/10'],
  ['reserved', 'fec0::/10'], // deprecated site-local
  ['multicast', 'ff00::/8'],
];

const parseRanges = (ranges: Range[]) => ranges.map(([cls, cidr]) => [cls, ipaddr.parseCIDR(cidr)] as const);
const V4 = parseRanges(IPV4_RANGES);
const V6 = parseRanges(IPV6_RANGES);
const cidr6 = (s: string) => ipaddr.IPv6.parseCIDR(s);
const MAPPED = cidr6('::ffff:0:0/96');
const TRANSLATED = cidr6('::ffff:0:0:0/96'); // RFC 6145
const COMPATIBLE = cidr6('::/96'); // deprecated IPv4-compatible
const NAT64 = cidr6('64:ff9b::/96'); // RFC 6052 well-known prefix
const SIX_TO_FOUR = cidr6('2002::/16');
const TEREDO = cidr6('2001::/32');
const GLOBAL_UNICAST = cidr6('2000::/3');

const v4At = (bytes: number[], at: number, xor = 0) =>
  new ipaddr.IPv4(bytes.slice(at, at + 4).map((b) => b ^ xor));

/** The IPv4 addresses an IPv6 address carries (mapped, translated, NAT64, 6to4, Teredo), if any. */
export function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4[] {
  const bytes = addr.toByteArray();
  if (addr.match(MAPPED) || addr.match(TRANSLATED) || addr.match(COMPATIBLE) || addr.match(NAT64)) return [v4At(bytes, 12)];
  if (addr.match(SIX_TO_FOUR)) return [v4At(bytes, 2)];
  // Teredo: the server's address in clear, the client's obfuscated (every bit flipped).
  if (addr.match(TEREDO)) return [v4At(bytes, 4), v4At(bytes, 12, 0xff)];
  return [];
}

function classifyV4(addr: ipaddr.IPv4): AddressClass | null {
  for (const [cls, range] of V4) if (addr.match(range)) return cls;
  return null;
}

/**
 * The class of an address the server must not reach for a tenant, or null
 * for a public unicast address. IPv4 inside IPv6 (`::ffff:127.0.0.1`,
 * `64:ff9b::a00:1`, 6to4, Teredo) is judged by the IPv4 address it carries.
 */
export function classifyAddress(addr: ipaddr.IPv4 | ipaddr.IPv6): AddressClass | null {
  if (addr.kind() === 'ipv4') return classifyV4(addr as ipaddr.IPv4);
  const v6 = addr as ipaddr.IPv6;
  for (const [cls, range] of V6) if (v6.match(range)) return cls;
  const inner = embeddedIPv4(v6);
  for (const v4 of inner) {
    const cls = classifyV4(v4);
    if (cls) return cls;
  }
  // IPv4-compatible addresses are deprecated and route nowhere sensible.
  if (v6.match(COMPATIBLE)) return 'reserved';
  if (inner.length) return null;
  // Everything outside 2000::/3 is unassigned or special-purpose.
  return v6.match(GLOBAL_UNICAST) ? null : 'reserved';
}

/** An IPv4-mapped (or translated) IPv6 address as the IPv4 address it is; other addresses unchanged. */
export function unmapped(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() === 'ipv6' && ((addr as ipaddr.IPv6).match(MAPPED) || (addr as ipaddr.IPv6).match(TRANSLATED))) {
    return v4At(addr.toByteArray(), 12);
  }
  return addr;
}
