import { describe, expect, it } from 'vitest';
import { responseHeaders, WORKSPACE_RESPONSE_DROPPED } from './ide-proxy.js';
import { parseWorkspaceOriginPattern, WorkspaceOrigins } from './workspace-origins.js';

const ID = '0b4f9d7e-1111-4222-8333-944455556666';

describe('WorkspaceOrigins', () => {
  const prod = new WorkspaceOrigins('https://{id}.ws.example.com');

  it('names each workspace its own origin, and knows it back from a Host header', () => {
    expect(prod.origin(ID)).toBe(`https://${ID}.ws.example.com`);
    expect(prod.idForHost(`${ID}.ws.example.com`)).toBe(ID);
    expect(prod.idForHost(`${ID}.ws.example.com:443`)).toBe(ID);
    expect(prod.idForHost(`${ID.toUpperCase()}.WS.Example.COM`)).toBe(ID);
    expect(prod.idForHost(`${ID}.ws.example.com.`)).toBe(ID);
  });

  it('does not take the app, look-alikes or nested names for a workspace', () => {
    for (const host of ['example.com', 'ws.example.com', `${ID}.ws.example.com.evil.test`, `${ID}.evilws.example.com`,
      `${ID}xws.example.com`, `a.${ID}.ws.example.com`, `.ws.example.com`, `-x.ws.example.com`, `${'a'.repeat(64)}.ws.example.com`, '', undefined]) {
      expect(prod.idForHost(host), String(host)).toBeUndefined();
    }
  });

  it('tells workspace origins apart for CORS and the cookie endpoints, and gives the CSP source', () => {
    expect(prod.isWorkspaceOrigin(`https://${ID}.ws.example.com`)).toBe(true);
    expect(prod.isWorkspaceOrigin('https://example.com')).toBe(false);
    expect(prod.isWorkspaceOrigin('null')).toBe(false);
    expect(prod.cspSource()).toBe('https://*.ws.example.com');
    expect(prod.secure).toBe(true);
  });

  it('defaults to *.ws.localhost on the port the server listens on, secure-context cookies included', () => {
    const dev = new WorkspaceOrigins(undefined);
    dev.setListeningPort(41234);
    expect(dev.origin(ID)).toBe(`http://${ID}.ws.localhost:41234`);
    expect(dev.cspSource()).toBe('http://*.ws.localhost:41234');
    expect(dev.secure).toBe(true);
    expect(new WorkspaceOrigins('http://{id}.ws.intranet.test:8080').secure).toBe(false);
  });

  it('accepts only http(s)://{id}.<domain>[:port] as a pattern', () => {
    for (const bad of ['https://ws.example.com', 'https://{id}', 'https://x.{id}.example.com', 'https://{id}.ws.example.com/path',
      'ftp://{id}.ws.example.com', 'https://{id}..example.com']) {
      expect(() => parseWorkspaceOriginPattern(bad), bad).toThrow();
    }
    expect(parseWorkspaceOriginPattern('https://{id}.ws.example.com:8443')).toEqual({ scheme: 'https', suffix: 'ws.example.com', port: '8443' });
  });
});

describe('answers from a workspace', () => {
  const untrusted = { untrustedResponse: { keepCookies: ['theia-connection-token'], rescopeCookie: (nv: string) => `${nv}; Path=/; HttpOnly` } };

  it('lose what a workspace must not set; only Theia\'s cookie stays, re-scoped host-only', () => {
    const raw = Object.fromEntries([...WORKSPACE_RESPONSE_DROPPED].map((h) => [h, 'x']));
    const out = responseHeaders({ ...raw, 'content-type': 'text/html', 'set-cookie': [
      'coditect_refresh=evil; Path=/api/v5/auth', 'app=1; Domain=example.com', 'theia-connection-token=t; Domain=example.com; Path=/x; SameSite=Strict',
    ] }, { ...untrusted, addSetCookie: ['coditect_ws=fresh; Path=/'] });
    for (const h of WORKSPACE_RESPONSE_DROPPED) expect(out[h], h).toBeUndefined();
    expect(out['content-type']).toBe('text/html');
    expect(out['set-cookie']).toEqual(['theia-connection-token=t; Path=/; HttpOnly', 'coditect_ws=fresh; Path=/']);
  });

  it('from another node (which filtered them already) pass through', () => {
    const out = responseHeaders({ 'set-cookie': ['coditect_ws=a; Path=/'], 'clear-site-data': '"cache"' }, {});
    expect(out['set-cookie']).toEqual(['coditect_ws=a; Path=/']);
    expect(out['clear-site-data']).toBe('"cache"');
  });
});
