/**
 * Offline validation of deploy/k8s: `kubectl kustomize` renders every overlay
 * (Debian's kubernetes-client 1.20 embeds kustomize v2.0.3; newer kubectl works
 * too), every rendered core object validates against the Kubernetes OpenAPI
 * schemas shipped in the `kubernetes-models` npm package, CloudNativePG objects
 * get structural checks (no schema package exists for them), and the security
 * and availability fields the issue requires are asserted.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEPLOY, findExecutable } from './support.js';

const KUBECTL = findExecutable('kubectl');
const OVERLAYS = fs.readdirSync(path.join(DEPLOY, 'k8s/overlays'));
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any; [k: string]: any };

function render(overlay: string, dir = path.join(DEPLOY, 'k8s/overlays', overlay)): Obj[] {
  const r = spawnSync(KUBECTL!, ['kustomize', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

async function validateCore(o: Obj): Promise<void> {
  const mod = await import(`kubernetes-models/${o.apiVersion}`).catch(() => undefined);
  const Model = mod?.[o.kind];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  // kustomize v5 folds long base64 values over lines; the API server's decoder skips newlines, the schema pattern does not.
  const copy = o.kind === 'Secret' && o.data
    ? { ...o, data: Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')])) } : o;
  new Model(copy).validate();
}

const find = (objs: Obj[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
const only = (objs: Obj[], kind: string, name?: string) => {
  const f = find(objs, kind, name);
  expect(f, `${kind} ${name ?? ''}`).toHaveLength(1);
  return f[0]!;
};

if (!KUBECTL && process.env.CI === 'true') {
  describe('deploy/k8s', () => { it('has kubectl in CI', () => { throw new Error('kubectl not found (apt-get install kubernetes-client)'); }); });
}

describe.skipIf(!KUBECTL)(`deploy/k8s${KUBECTL ? '' : ' — skipped: kubectl not found (apt-get install kubernetes-client)'}`, () => {
  it('has the dev and prod overlays', () => {
    expect(OVERLAYS.sort()).toEqual(['dev', 'prod']);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const objs = render(overlay);
    const ns = overlay === 'prod' ? 'coditect' : `coditect-${overlay}`;
    const deployment = only(objs, 'Deployment', 'coditect');
    const pod = deployment.spec.template.spec;
    const server = pod.containers.find((c: { name: string }) => c.name === 'server');

    it('renders the whole stack into one namespace', () => {
      const kinds = new Set(objs.map((o) => o.kind));
      for (const k of ['Namespace', 'ServiceAccount', 'ConfigMap', 'Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler',
        'PodDisruptionBudget', 'NetworkPolicy', 'Cluster']) expect(kinds, k).toContain(k);
      for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
      expect(only(objs, 'Namespace').metadata.name).toBe(ns);
    });

    it('validates every core object against the Kubernetes schemas (kubernetes-models)', async () => {
      const core = objs.filter((o) => !o.apiVersion.includes('cnpg.io'));
      expect(core.length).toBeGreaterThan(8);
      for (const o of core) {
        await expect(validateCore(o).then(() => 'ok'), `${o.kind}/${o.metadata.name}`).resolves.toBe('ok');
      }
    });

    it('the schema check has teeth (a wrong type is refused)', async () => {
      const broken = structuredClone(deployment);
      broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
      await expect(validateCore(broken)).rejects.toThrow(/containerPort/);
    });

    it('describes a CloudNativePG cluster with a non-superuser owner, and the app reads its generated secret', () => {
      const cluster = only(objs, 'Cluster', 'coditect-db');
      expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
      expect(cluster.spec.instances).toBeGreaterThanOrEqual(1);
      expect(cluster.spec.storage.size).toMatch(/^\d+Gi$/);
      expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'coditect', owner: 'coditect' });
      expect(cluster.spec.enableSuperuserAccess ?? false).toBe(false);
      const dbUrl = server.env.find((e: { name: string }) => e.name === 'CODITECT_DATABASE_URL');
      expect(dbUrl.valueFrom.secretKeyRef).toEqual({ name: 'coditect-db-app', key: 'uri' });
      if (overlay === 'prod') {
        expect(cluster.spec.instances).toBe(3);
        expect(cluster.spec.backup.barmanObjectStore.destinationPath).toMatch(/^s3:\/\//);
        const sb = only(objs, 'ScheduledBackup');
        expect(sb.spec.cluster.name).toBe('coditect-db');
      }
    });

    it('runs the server hardened: non-root 1001, read-only root fs, no capabilities, no privilege escalation', () => {
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBe(1001);
      expect(pod.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      const sc = server.securityContext;
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.capabilities.drop).toEqual(['ALL']);
      expect(sc.capabilities.add).toBeUndefined();
      expect(sc.privileged ?? false).toBe(false);
      // Every path the server writes is a volume (the root filesystem is read-only).
      const mounts = Object.fromEntries(server.volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m.name]));
      const cfg = only(objs, 'ConfigMap').data;
      for (const dir of [cfg.CODITECT_DATA_DIR, cfg.CODITECT_WORKSPACE_RUN_DIR, '/tmp']) expect(mounts, dir).toHaveProperty(dir);
      for (const v of pod.volumes) expect(v.emptyDir ?? v.persistentVolumeClaim, v.name).toBeTruthy();
    });

    it('probes /api/v5/health (liveness) and /api/v5/ready (readiness), with requests and limits', () => {
      expect(server.livenessProbe.httpGet.path).toBe('/api/v5/health');
      expect(server.readinessProbe.httpGet.path).toBe('/api/v5/ready');
      expect(server.startupProbe.httpGet.path).toBe('/api/v5/health');
      const port = server.ports.find((p: { name: string }) => p.name === 'http').containerPort;
      expect(String(port)).toBe(only(objs, 'ConfigMap').data.PORT);
      for (const r of ['cpu', 'memory']) {
        expect(server.resources.requests[r], r).toBeTruthy();
        expect(server.resources.limits[r], r).toBeTruthy();
      }
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    });

    it('takes secrets only from Secrets, and the config from the environment the server reads', () => {
      const cfg = only(objs, 'ConfigMap').data as Record<string, string>;
      expect(cfg.NODE_ENV).toBe('production');
      expect(cfg.CODITECT_SECURE_COOKIES).toBe('true');
      expect(cfg.CODITECT_TRUST_PROXY).not.toBe('true');
      for (const k of Object.keys(cfg)) expect(k).not.toMatch(/SECRET|MASTER_KEY|PASSWORD|API_KEY|DATABASE_URL/);
      const fromSecret = Object.fromEntries(server.env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef?.name]));
      for (const k of ['CODITECT_JWT_SECRET', 'CODITECT_LLM_MASTER_KEY', 'CODITECT_DATABASE_URL']) expect(fromSecret[k], k).toBeTruthy();
      // Secret names resolve: generated in this overlay, or documented as created out of band (prod).
      const secrets = find(objs, 'Secret').map((s) => s.metadata.name);
      const external = overlay === 'prod' ? ['coditect-secrets', 'coditect-db-app'] : ['coditect-db-app'];
      for (const name of Object.values(fromSecret).filter(Boolean) as string[]) {
        expect(secrets.includes(name) || external.includes(name), name).toBe(true);
      }
      if (overlay === 'prod') expect(secrets).toEqual([]); // no secret material in the prod render
    });

    it('scales: replicas, HPA bounds and a PDB that keeps capacity during drains', () => {
      const hpa = only(objs, 'HorizontalPodAutoscaler');
      const pdb = only(objs, 'PodDisruptionBudget');
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'coditect' });
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      if (overlay === 'prod') {
        expect(deployment.spec.replicas).toBe(3);
        expect(hpa.spec.minReplicas).toBe(3);
        expect(pdb.spec.minAvailable).toBe(2);
      }
      expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    });

    it('routes through ingress-nginx with WebSocket-friendly long timeouts, streaming, the upload limit, TLS, and no public /metrics', () => {
      const ing = only(objs, 'Ingress', 'coditect');
      const a = ing.metadata.annotations!;
      expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
      expect(a['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
      expect(a['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('101m');
      expect(a['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe('true');
      expect(ing.spec.tls[0].hosts).toEqual([ing.spec.rules[0].host]);
      const paths = ing.spec.rules[0].http.paths;
      const metrics = paths.find((p: { path: string }) => p.path === '/metrics');
      const deny = only(objs, 'Service', metrics.backend.service.name);
      expect(deny.spec.selector).not.toEqual(only(objs, 'Service', 'coditect').spec.selector);
      expect(paths.find((p: { path: string }) => p.path === '/').backend.service.name).toBe('coditect');
      if (overlay === 'prod') expect(a['cert-manager.io/cluster-issuer']).toBeTruthy();
    });

    it('isolates the network: default deny, server reachable from the ingress controller, database only from the server', () => {
      const pols = find(objs, 'NetworkPolicy');
      const deny = pols.find((p) => p.metadata.name === 'default-deny')!;
      expect(deny.spec.podSelector).toEqual({});
      expect(deny.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      const srv = pols.find((p) => p.metadata.name === 'coditect-server')!;
      expect(JSON.stringify(srv.spec.ingress)).toContain('ingress-nginx');
      expect(srv.spec.egress.some((e: any) => e.ports?.some((p: any) => p.port === 5432))).toBe(true);
      // Prometheus (monitoring) reaches only the metrics port, which the pod annotations name and the server listens on.
      const monitoring = srv.spec.ingress.filter((r: any) => JSON.stringify(r.from).includes('monitoring'));
      expect(monitoring.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual([9464]);
      const cfg = only(objs, 'ConfigMap').data as Record<string, string>;
      expect(cfg.CODITECT_METRICS_LISTEN).toBe('0.0.0.0:9464');
      const podAnn = only(objs, 'Deployment').spec.template.metadata.annotations;
      expect(podAnn['prometheus.io/port']).toBe('9464');
      const db = pols.find((p) => p.metadata.name === 'coditect-db')!;
      expect(db.spec.podSelector.matchLabels['cnpg.io/cluster']).toBe('coditect-db');
      const peers = db.spec.ingress.flatMap((r: any) => r.from);
      expect(peers.every((f: any) => f.podSelector || f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'cnpg-system')).toBe(true);
    });
  });

  describe('the optional gvisor RuntimeClass (deploy/k8s/runtimeclass)', () => {
    const objs = render('runtimeclass', path.join(DEPLOY, 'k8s/runtimeclass'));

    it('is one cluster-scoped RuntimeClass `gvisor` with the runsc handler, valid against the schema', async () => {
      expect(objs.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['node.k8s.io/v1 RuntimeClass']);
      const rc = objs[0]!;
      // The name GKE Sandbox uses, so a workspace pod's `runtimeClassName: gvisor` means the same on GKE and elsewhere.
      expect(rc.metadata.name).toBe('gvisor');
      expect(rc.handler).toBe('runsc');
      expect(rc.metadata.namespace).toBeUndefined();
      expect(rc.overhead.podFixed.memory).toBeTruthy();
      await expect(validateCore(rc).then(() => 'ok')).resolves.toBe('ok');
      const broken = { ...structuredClone(rc), handler: 42 };
      await expect(validateCore(broken)).rejects.toThrow(/handler/);
    });

    it('stays out of the overlays (a cluster admin installs it; GKE Sandbox brings its own)', () => {
      for (const overlay of OVERLAYS) expect(render(overlay).filter((o) => o.kind === 'RuntimeClass'), overlay).toEqual([]);
    });
  });
});
