import ipaddr from 'ipaddr.js';

/** Where a connection would go: an address literal, or a name still to be resolved. */
export type EgressTarget =
  | { kind: 'ip'; host: string; address: ipaddr.IPv4 | ipaddr.IPv6 }
  | { kind: 'name'; host: string };

/** Schemes whose URLs name a host the server would connect to. */
const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/**
 * Parses a URL (`https://h:1/x`), a host (`h`, `[::1]`, `fe80::1%eth0`) or a
 * `host:port` into the address or name a client would connect to. Host
 * spelling is normalised the way the WHATWG URL parser (and so Node's HTTP
 * client) reads it: `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1` and
 * `127.0.0.1.` are all 127.0.0.1. Returns null for anything else.
 */
export function parseTarget(input: string): EgressTarget | null {
  const text = input.trim();
  if (!text) return null;
  let host: string;
  if (text.includes('://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return null;
    }
    if (!SCHEMES.has(url.protocol)) return null;
    host = url.hostname;
  } else {
    host = text;
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
    if (bracketed) host = bracketed[1]!;
    else if (/^[^:]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  }
  host = host.replace(/^\[|\]$/g, '');
  if (host.includes(':')) {
    // An IPv6 literal; a zone id (`%eth0`, or `%25eth0` from a URL) only picks the interface.
    const literal = host.replace(/%(25)?[^%]*$/, '');
    if (!ipaddr.IPv6.isValid(literal)) return null;
    return { kind: 'ip', host: literal, address: ipaddr.IPv6.parse(literal) };
  }
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return { kind: 'ip', host: hostname, address: ipaddr.IPv4.parse(hostname) };
  if (hostname.startsWith('[')) {
    const literal = hostname.slice(1, -1);
    return { kind: 'ip', host: literal, address: ipaddr.IPv6.parse(literal) };
  }
  return { kind: 'name', host: hostname };
}

/** A host name as compared with the allow-list: lower case, without trailing dots. */
export const canonicalName = (name: string): string => name.toLowerCase().replace(/\.+$/, '');
