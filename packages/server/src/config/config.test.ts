import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has embedded defaults: SQLite in ./data, 127.0.0.1:8080, 15-minute access tokens', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: path.resolve('data'), trustProxy: false });
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('data', 'coditect.db') });
    expect(c.jwt.accessTtlSeconds).toBe(900);
    expect(c.refreshTtlMs).toBe(30 * 86_400_000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('recognises PostgreSQL URLs, rate specs and trust-proxy forms', () => {
    const c = loadConfig({ CODITECT_DATABASE_URL: 'postgres://u:p@db/x', CODITECT_RATE_LIMIT_LOGIN_IP: '7/30s', CODITECT_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' });
    expect(c.database).toMatchObject({ kind: 'postgres', url: 'postgres://u:p@db/x' });
    expect(c.rateLimits.loginIp).toEqual({ max: 7, windowMs: 30_000 });
    expect(c.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ CODITECT_TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it('parses the egress allow-list (empty by default: deny) and names a bad entry', () => {
    expect(loadConfig({}).egress.allow).toMatchObject({ networks: [], suffixes: [] });
    expect(loadConfig({}).egress.allow.names.size).toBe(0);
    const allow = loadConfig({ CODITECT_EGRESS_ALLOW: '10.20.0.0/16, 192.168.1.20 , ollama.lan, *.models.internal' }).egress.allow;
    expect(allow.networks.map(([addr, bits]) => `${addr.toString()}/${bits}`)).toEqual(['10.20.0.0/16', '192.168.1.20/32']);
    expect([...allow.names]).toEqual(['ollama.lan']);
    expect(allow.suffixes).toEqual(['.models.internal']);
    expect(() => loadConfig({ CODITECT_EGRESS_ALLOW: '10.0.0.0/8,http://evil/' })).toThrow(/CODITECT_EGRESS_ALLOW.*http:\/\/evil\//);
  });

  it('reads workspace limits with sizes like 2GiB, and defaults a user would expect', () => {
    expect(loadConfig({}).workspaces.limits).toEqual({ cpus: 1, memoryBytes: 2 * 1024 ** 3, swapBytes: 0, pids: 512, tmpBytes: 512 * 1024 ** 2 });
    const c = loadConfig({
      CODITECT_WORKSPACE_CPUS: '0.5', CODITECT_WORKSPACE_MEMORY: '1.5GiB', CODITECT_WORKSPACE_SWAP: '256MiB',
      CODITECT_WORKSPACE_PIDS: '100', CODITECT_WORKSPACE_TMP_SIZE: '64MiB', CODITECT_STORAGE_QUOTA_SLACK: '10MiB',
      CODITECT_CGROUP_ROOT: '/sys/fs/cgroup/coditect.slice', CODITECT_DANGEROUS_UNLIMITED_WORKSPACES: '1',
    });
    expect(c.workspaces.limits).toEqual({ cpus: 0.5, memoryBytes: 1.5 * 1024 ** 3, swapBytes: 256 * 1024 ** 2, pids: 100, tmpBytes: 64 * 1024 ** 2 });
    expect(c.workspaces).toMatchObject({ cgroupRoot: '/sys/fs/cgroup/coditect.slice', dangerouslyUnlimited: true });
    expect(c.storage.quotaSlackBytes).toBe(10 * 1024 ** 2);
    expect(() => loadConfig({ CODITECT_WORKSPACE_MEMORY: 'lots', CODITECT_WORKSPACE_PIDS: '3' })).toThrow(/CODITECT_WORKSPACE_MEMORY.*\n.*CODITECT_WORKSPACE_PIDS/s);
  });

  it('reads login back-off tiers, per-user limits, the metrics listener and the per-tenant cap', () => {
    const d = loadConfig({});
    expect(d.rateLimits.loginPair).toEqual([{ max: 5, windowMs: 60_000 }, { max: 20, windowMs: 3_600_000 }]);
    expect(d.rateLimits.llm).toEqual({ max: 300, windowMs: 60_000 });
    expect(d.metrics).toEqual({ listen: { host: '127.0.0.1', port: 9464 }, token: undefined });
    expect(d.workspaces.maxPerTenant).toBe(5);
    const c = loadConfig({ CODITECT_RATE_LIMIT_LOGIN_PAIR: '3/10s,9/600s,20/86400s', CODITECT_METRICS_LISTEN: '[::1]:9100',
      CODITECT_RATE_LIMIT_SNAPSHOT: '4/60s', CODITECT_MAX_WORKSPACES_PER_TENANT: '2' });
    expect(c.rateLimits.loginPair.map((l) => l.max)).toEqual([3, 9, 20]);
    expect(c.rateLimits.snapshot).toEqual({ max: 4, windowMs: 60_000 });
    expect(c.metrics.listen).toEqual({ host: '::1', port: 9100 });
    expect(c.workspaces.maxPerTenant).toBe(2);
    expect(loadConfig({ CODITECT_METRICS_LISTEN: 'off' }).metrics.listen).toBeUndefined();
    expect(() => loadConfig({ CODITECT_METRICS_LISTEN: '9464' })).toThrow(/CODITECT_METRICS_LISTEN/);
    expect(() => loadConfig({ CODITECT_RATE_LIMIT_LOGIN_PAIR: '5/60s,' })).toThrow(/CODITECT_RATE_LIMIT_LOGIN_PAIR/);
  });

  it('lists every bad value at once, naming each variable', () => {
    try {
      loadConfig({ PORT: 'eighty', CODITECT_RATE_LIMIT_LOGIN_IP: 'lots', CODITECT_JWT_SECRET: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      for (const name of ['PORT', 'CODITECT_RATE_LIMIT_LOGIN_IP', 'CODITECT_JWT_SECRET']) expect(msg).toContain(name);
    }
  });

  it('production refuses missing or weak secrets, naming each', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CODITECT_JWT_SECRET[\s\S]*CODITECT_JWT_PRIVATE_KEY[\s\S]*CODITECT_LLM_MASTER_KEY/);
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const good = { NODE_ENV: 'production', CODITECT_JWT_PRIVATE_KEY: pem, CODITECT_LLM_MASTER_KEY: 'ab'.repeat(32) };
    expect(() => loadConfig({ ...good, CODITECT_JWT_SECRET: 'x'.repeat(40) })).toThrow(/too weak/);
    expect(loadConfig({ ...good, CODITECT_JWT_SECRET: randomBytes(36).toString('base64') }).env).toBe('production');
  });
});
