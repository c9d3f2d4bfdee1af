import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { classifyAddress, unmapped, type AddressClass } from './address-classes.js';
import { allowsAddress, allowsName, parseAllowList, type EgressAllowList } from './allow-list.js';
import { parseTarget } from './target.js';

/** One answer of a name lookup. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (injectable: tests play a rebinding DNS server). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as Node's HTTP client would use it. */
export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Why a target was refused: an address class, a name that does not resolve, or input that names no host. */
export type EgressRefusal = AddressClass | 'unresolvable' | 'invalid';

/** The policy's answer for one target. An allowed answer carries the one address to connect to. */
export type EgressDecision =
  | { allowed: true; host: string; address: string; family: 4 | 6; reason: 'public' | 'allow-listed' }
  | { allowed: false; host: string; reason: EgressRefusal };

export interface EgressPolicyOptions {
  /** The operator's allow-list (`CODITECT_EGRESS_ALLOW`), parsed or as its text. */
  allow?: EgressAllowList | string | undefined;
  resolver?: Resolver | undefined;
}

/**
 * The one place that decides whether the server may connect to an address on
 * a tenant's behalf. Default deny for every non-public address class (see
 * address-classes.ts), in any spelling; the operator's allow-list wins. A
 * name is resolved once here and every address it has must pass; the caller
 * then connects to the checked address only (`pinnedLookup`), so a DNS answer
 * that changes between check and connect cannot swap in another address.
 */
export class EgressPolicy {
  private readonly allow: EgressAllowList;
  private readonly resolver: Resolver;

  constructor(options: EgressPolicyOptions = {}) {
    this.allow = typeof options.allow === 'object' ? options.allow : parseAllowList(options.allow);
    this.resolver = options.resolver ?? systemResolver;
  }

  /** Decides for a URL, a host or `host:port`; resolves a name (once). Never throws. */
  async check(target: string): Promise<EgressDecision> {
    const parsed = parseTarget(target);
    if (!parsed) return { allowed: false, host: target, reason: 'invalid' };
    const { host } = parsed;
    if (parsed.kind === 'ip') return this.judge(host, parsed.address);
    let answers: ResolvedAddress[];
    try {
      answers = await this.resolver(host);
    } catch {
      return { allowed: false, host, reason: 'unresolvable' };
    }
    const addresses = answers.flatMap((a) => (ipaddr.isValid(a.address) ? [ipaddr.parse(a.address)] : []));
    if (!addresses.length) return { allowed: false, host, reason: 'unresolvable' };
    if (allowsName(this.allow, host)) return decided(host, addresses[0]!, 'allow-listed');
    // Every address must pass: a name that also points inside would let a retry or a second client land there.
    let first: EgressDecision | undefined;
    for (const addr of addresses) {
      const d = this.judge(host, addr);
      if (!d.allowed) return d;
      first ??= d;
    }
    return first!;
  }

  private judge(host: string, addr: ipaddr.IPv4 | ipaddr.IPv6): EgressDecision {
    const plain = unmapped(addr);
    if (allowsAddress(this.allow, plain) || allowsAddress(this.allow, addr)) return decided(host, plain, 'allow-listed');
    const cls = classifyAddress(addr);
    return cls ? { allowed: false, host, reason: cls } : decided(host, plain, 'public');
  }
}

function decided(host: string, addr: ipaddr.IPv4 | ipaddr.IPv6, reason: 'public' | 'allow-listed'): EgressDecision {
  const plain = unmapped(addr);
  return { allowed: true, host, address: plain.toString(), family: plain.kind() === 'ipv4' ? 4 : 6, reason };
}

/**
 * A `lookup` for `net`/`http`/`https`/`tls` connect options that answers the
 * checked address whatever name it is asked for: the connection goes where
 * the policy looked, and nowhere else. (Address literals skip `lookup`; they
 * are the checked address already.)
 */
export function pinnedLookup(decision: Extract<EgressDecision, { allowed: true }>): LookupFunction {
  const { address, family } = decision;
  return ((_hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    const cb = typeof options === 'function' ? options as typeof callback : callback;
    const all = typeof options === 'object' && options?.all;
    process.nextTick(() => (all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  }) as LookupFunction;
}

const CLASS_TEXT: Record<EgressRefusal, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private network address',
  'unique-local': 'a unique-local (private) IPv6 address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  'carrier-grade-nat': 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation-only address',
  benchmarking: 'a benchmarking-only address',
  unresolvable: 'a host name that does not resolve',
  invalid: 'no valid host',
};

/** The public sentence for a refusal: names the address class, never the resolved address. */
export function refusalMessage(what: string, reason: EgressRefusal): string {
  return `${what} points to ${CLASS_TEXT[reason]}, which the server does not connect to on a tenant's behalf`
    + (reason === 'unresolvable' || reason === 'invalid' ? '' : ' (an operator can allow it with CODITECT_EGRESS_ALLOW)');
}
