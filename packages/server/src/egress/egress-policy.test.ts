import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAllowList } from './allow-list.js';
import { EgressPolicy, pinnedLookup, refusalMessage, type Resolver } from './egress-policy.js';

/** A resolver that knows only these names (no real DNS in unit tests). */
const fakeDns = (table: Record<string, string[]>): Resolver => async (name) => {
  const answers = table[name.toLowerCase().replace(/\.+$/, '')];
  if (!answers) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const dns = fakeDns({
  'api.example.com': ['93.184.216.34'],
  'dual.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'mixed.example.com': ['93.184.216.34', '10.1.2.3'],
  localhost: ['127.0.0.1', '::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'rebind.example.com': ['127.0.0.1'],
  'ollama.lan': ['192.168.1.20'],
  'gpu.corp.example': ['10.9.8.7'],
});

/** Every encoding of every non-public class we know of, as URL or host, with the class expected. */
const DENIED: [string, string][] = [
  ['http://127.0.0.1/', 'loopback'],
  ['http://127.0.0.1./', 'loopback'],
  ['http://127.1/', 'loopback'],
  ['http://2130706433/', 'loopback'],
  ['http://0x7f000001/', 'loopback'],
  ['http://0177.0.0.1/', 'loopback'],
  ['http://0x7f.1/', 'loopback'],
  ['http://%31%32%37.0.0.1/', 'loopback'],
  ['http://127.255.255.254:8080/v1', 'loopback'],
  ['https://[::1]/', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:7f00:1]/', 'loopback'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'loopback'],
  ['http://[::ffff:0:7f00:1]/', 'loopback'], // RFC 6145 translated
  ['http://[::127.0.0.1]/', 'loopback'], // IPv4-compatible
  ['http://[::7f00:1]/', 'loopback'],
  ['http://[64:ff9b::7f00:1]/', 'loopback'], // NAT64
  ['http://[2002:7f00:1::]/', 'loopback'], // 6to4
  ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback'], // Teredo, client 127.0.0.1 obfuscated
  ['http://localhost:11434/', 'loopback'],
  ['http://LOCALHOST./', 'loopback'],
  ['http://rebind.example.com/', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]:443', 'loopback'],
  ['127.0.0.1:80', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['http://10.0.0.1/', 'private'],
  ['http://172.16.5.4/', 'private'],
  ['http://172.31.255.255/', 'private'],
  ['http://192.168.0.1/', 'private'],
  ['http://0xc0a80001/', 'private'],
  ['http://3232235521/', 'private'],
  ['http://[::ffff:10.0.0.1]/', 'private'],
  ['http://[64:ff9b:1::a00:1]/', 'private'],
  ['http://[2002:c0a8:1::]/', 'private'],
  ['http://[2001:0:a00:1::f7f7:f7f7]/', 'private'], // Teredo with server 10.0.0.1 (client 8.8.8.8)
  ['http://[::ffff:0.0.0.0]/', 'unspecified'],
  ['http://mixed.example.com/', 'private'],
  ['http://ollama.lan/', 'private'],
  ['http://[fc00::1]/', 'unique-local'],
  ['http://[fd12:3456::1]/', 'unique-local'],
  ['http://169.254.169.254/latest/meta-data/', 'metadata'],
  ['http://169.254.169.254./', 'metadata'],
  ['http://2852039166/', 'metadata'],
  ['http://0251.0376.0251.0376/', 'metadata'],
  ['http://0xa9fea9fe/', 'metadata'],
  ['http://[::ffff:169.254.169.254]/', 'metadata'],
  ['http://[::ffff:a9fe:a9fe]/', 'metadata'],
  ['http://[fd00:ec2::254]/', 'metadata'],
  ['http://100.100.100.200/', 'metadata'],
  ['http://168.63.129.16/', 'metadata'],
  ['http://169.254.170.2/v2/credentials', 'metadata'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'metadata'],
  ['http://169.254.1.1/', 'link-local'],
  ['http://[fe80::1]/', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['[fe80::1%25eth0]', 'link-local'],
  ['http://100.64.0.1/', 'carrier-grade-nat'],
  ['http://100.127.255.254/', 'carrier-grade-nat'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://239.255.255.250/', 'multicast'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  ['http://0.0.0.0/', 'unspecified'],
  ['http://0/', 'unspecified'],
  ['http://0.1.2.3/', 'unspecified'],
  ['http://[::]/', 'unspecified'],
  ['http://240.0.0.1/', 'reserved'],
  ['http://192.0.0.8/', 'reserved'],
  ['http://[100::1]/', 'reserved'],
  ['http://[fec0::1]/', 'reserved'],
  ['http://[::8.8.8.8]/', 'reserved'], // IPv4-compatible: deprecated
  ['http://[4000::1]/', 'reserved'], // outside 2000::/3
  ['http://192.0.2.10/', 'documentation'],
  ['http://198.51.100.7/', 'documentation'],
  ['http://203.0.113.9/', 'documentation'],
  ['http://[2001:db8::1]/', 'documentation'],
  ['http://198.18.0.1/', 'benchmarking'],
  ['http://[2001:2::1]/', 'benchmarking'],
];

const ALLOWED: string[] = [
  'https://api.example.com:443/v1',
  'http://93.184.216.34/',
  'https://8.8.8.8/',
  'http://1.1.1.1:8080/v1',
  'http://[2606:4700:4700::1111]/',
  'http://[::ffff:8.8.8.8]/',
  'http://[64:ff9b::808:808]/', // NAT64 of a public address
  'http://[2002:808:808::1]/', // 6to4 of a public address
  'http://172.32.0.1/', // just outside 172.16/12
  'http://100.128.0.1/', // just outside 100.64/10
  'http://169.255.0.1/',
  'https://dual.example.com/',
  'api.example.com',
  'api.example.com:443',
  '8.8.8.8',
];

describe('EgressPolicy (default: no allow-list)', () => {
  const policy = new EgressPolicy({ resolver: dns });

  it.each(DENIED)('denies %s as %s', async (target, cls) => {
    const d = await policy.check(target);
    expect(d).toMatchObject({ allowed: false, reason: cls });
  });

  it.each(ALLOWED)('allows %s (public)', async (target) => {
    const d = await policy.check(target);
    expect(d).toMatchObject({ allowed: true, reason: 'public' });
    if (d.allowed) expect(d.address).toMatch(/^[\d.]+$|:/);
  });

  it('answers unresolvable and invalid targets without throwing', async () => {
    expect(await policy.check('http://no-such-host.example/')).toMatchObject({ allowed: false, reason: 'unresolvable' });
    expect(await policy.check('file:///etc/passwd')).toMatchObject({ allowed: false, reason: 'invalid' });
    expect(await policy.check('gopher://127.0.0.1/')).toMatchObject({ allowed: false, reason: 'invalid' });
    expect(await policy.check('http://[::1/')).toMatchObject({ allowed: false, reason: 'invalid' });
    expect(await policy.check('')).toMatchObject({ allowed: false, reason: 'invalid' });
  });

  it('names the class in its message, never the resolved address', async () => {
    const d = await policy.check('http://metadata.google.internal/');
    expect(d.allowed).toBe(false);
    const text = refusalMessage('The base URL', d.allowed ? 'invalid' : d.reason);
    expect(text).toContain('cloud metadata address');
    expect(text).not.toContain('169.254');
  });

  it('resolves a name once and answers the address it checked', async () => {
    let calls = 0;
    const counting = new EgressPolicy({ resolver: async (n) => { calls++; return dns(n); } });
    const d = await counting.check('https://api.example.com/v1/chat');
    expect(calls).toBe(1);
    expect(d).toEqual({ allowed: true, host: 'api.example.com', address: '93.184.216.34', family: 4, reason: 'public' });
  });
});

describe('operator allow-list (CODITECT_EGRESS_ALLOW)', () => {
  const policy = new EgressPolicy({ resolver: dns, allow: '127.0.0.1/32, 192.168.1.0/24, fd12::/16, ollama.lan, *.corp.example, 169.254.169.254' });

  it('wins over the default deny for the networks and names it lists', async () => {
    for (const target of ['http://127.0.0.1:11434/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/', 'http://192.168.1.77/',
      'http://[fd12::5]/', 'http://ollama.lan/', 'http://OLLAMA.LAN./', 'http://gpu.corp.example/', 'http://169.254.169.254/']) {
      expect(await policy.check(target), target).toMatchObject({ allowed: true, reason: 'allow-listed' });
    }
  });

  it('allows nothing beyond what it lists', async () => {
    for (const [target, cls] of [['http://127.0.0.2/', 'loopback'], ['http://[::1]/', 'loopback'], ['http://192.168.2.1/', 'private'],
      ['http://[fd13::5]/', 'unique-local'], ['http://corp.example.evil.test/', 'unresolvable'], ['http://10.0.0.1/', 'private'],
      ['http://localhost/', 'loopback']] as const) {
      expect(await policy.check(target), target).toMatchObject({ allowed: false, reason: cls });
    }
  });

  it('an allowed name is still pinned to the address it resolved to', async () => {
    expect(await policy.check('http://ollama.lan:11434/')).toMatchObject({ allowed: true, address: '192.168.1.20', family: 4 });
  });

  it('rejects entries that are neither CIDR, address nor host name', () => {
    expect(() => parseAllowList('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseAllowList('http://x/, ok.example')).toThrow(/http:\/\/x\//);
    expect(() => parseAllowList('  ,  ')).not.toThrow();
  });
});

describe('pinnedLookup', () => {
  it('connects to the checked address whatever the name resolves to now', async () => {
    const server = http.createServer((_req, res) => res.end('pinned'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // `nowhere.invalid` has no DNS answer at all: only the pinned lookup can make this connection work.
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: 'nowhere.invalid', port, path: '/', agent: false,
          lookup: pinnedLookup({ allowed: true, host: 'nowhere.invalid', address: '127.0.0.1', family: 4, reason: 'allow-listed' }) }, (res) => {
          let text = '';
          res.on('data', (c) => { text += c; });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
      });
      expect(body).toBe('pinned');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
