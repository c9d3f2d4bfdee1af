import ipaddr from 'ipaddr.js';
import { canonicalName } from './target.js';

/** What the operator lets tenants reach although it is not public: networks and host names. */
export interface EgressAllowList {
  networks: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Exact names (`ollama.lan`). */
  names: Set<string>;
  /** Suffixes from `*.corp.example` entries, stored as `.corp.example` (any depth below). */
  suffixes: string[];
}

const NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses `CODITECT_EGRESS_ALLOW`: comma-separated CIDRs (`10.0.0.0/8`,
 * `fd12::/16`), single addresses (`192.168.1.20`) and host names
 * (`ollama.lan`, `*.corp.example`). Throws listing every bad entry.
 */
export function parseAllowList(spec: string | undefined): EgressAllowList {
  const list: EgressAllowList = { networks: [], names: new Set(), suffixes: [] };
  const bad: string[] = [];
  for (const raw of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const entry = raw.replace(/^\[|\]$/g, '');
    if (ipaddr.isValidCIDR(entry)) {
      list.networks.push(ipaddr.parseCIDR(entry));
    } else if (ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      list.networks.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (NAME.test(canonicalName(entry)) && !/^[\d.]+$/.test(canonicalName(entry))) {
      const name = canonicalName(entry);
      if (name.startsWith('*.')) list.suffixes.push(name.slice(1));
      else list.names.add(name);
    } else {
      bad.push(raw);
    }
  }
  if (bad.length) throw new Error(`not a CIDR, address or host name: ${bad.join(', ')}`);
  return list;
}

/** Whether the operator allowed this address. */
export function allowsAddress(list: EgressAllowList, addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return list.networks.some((net) => net[0].kind() === addr.kind() && addr.match(net));
}

/** Whether the operator allowed this host name (whatever it resolves to). */
export function allowsName(list: EgressAllowList, name: string): boolean {
  const n = canonicalName(name);
  return list.names.has(n) || list.suffixes.some((s) => n.endsWith(s));
}
