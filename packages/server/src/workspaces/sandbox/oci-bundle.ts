/**
 * Renders a WorkspaceSpec as an OCI bundle (config.json + a skeleton root) for gVisor's runsc.
 *
 * The root is an empty, read-only skeleton the runner owns (mount points and the merged-/usr
 * symlinks only), so the sandbox sees exactly what the spec mounts — the same layout as under
 * bubblewrap — and runsc never creates mount points in a host directory that matters.
 * Identity: runsc has no uid mapping for its file proxy, so the process runs as uid 0 *inside the
 * user-space kernel* with every capability dropped and no_new_privs; host files then belong to it
 * as they belong to the sandbox user under bubblewrap's user namespace (the server's uid).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkspaceLimits } from '../workspace-limits.js';
import { ociSeccomp, type OciSeccomp } from './seccomp/oci-seccomp.js';
import type { SpecMount, WorkspaceSpec } from './workspace-spec.js';

/** An OCI runtime-spec mount. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** The part of an OCI config.json runsc reads. */
export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient', string[]>;
    noNewPrivileges: boolean;
    rlimits?: { type: string; hard: number; soft: number }[];
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string }[];
    cgroupsPath?: string;
    seccomp?: OciSeccomp;
    resources?: {
      memory?: { limit: number; swap: number };
      cpu?: { quota: number; period: number };
      pids?: { limit: number };
    };
  };
}

const CPU_PERIOD_US = 100_000;
/**
 * Host threads of gVisor itself (the sentry's and gofer's Go runtimes) counted in the sandbox's
 * pids cgroup on top of the workspace's own processes and threads.
 */
export const GVISOR_PIDS_OVERHEAD = 256;

/**
 * OCI `linux.resources` for the limits (memory.swap is memory + swap, as the spec defines it). The
 * host cgroup holds the whole sandbox, so the pids limit carries gVisor's own threads too.
 */
export function ociResources(limits: WorkspaceLimits): NonNullable<OciConfig['linux']['resources']> {
  return {
    memory: { limit: limits.memoryBytes, swap: limits.memoryBytes + limits.swapBytes },
    cpu: { quota: Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)), period: CPU_PERIOD_US },
    pids: { limit: limits.pids + GVISOR_PIDS_OVERHEAD },
  };
}

function ociMounts(m: SpecMount): OciMount[] {
  switch (m.kind) {
    case 'bind':
      if (m.optional && !fs.existsSync(m.source)) return [];
      return [{ destination: m.target, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] }];
    case 'tmpfs':
      return [{ destination: m.target, type: 'tmpfs', source: 'tmpfs',
        options: ['nosuid', 'nodev', m.target === '/tmp' ? 'mode=1777' : 'mode=755', ...(m.sizeBytes !== undefined ? [`size=${m.sizeBytes}`] : [])] }];
    case 'proc':
      return [{ destination: m.target, type: 'proc', source: 'proc' }];
    case 'dev':
      return [
        { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: `${m.target}/pts`, type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
        { destination: `${m.target}/shm`, type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      ];
    case 'ro-dir':
    case 'symlink':
      return []; // part of the read-only skeleton root
  }
}

/** The config.json for `spec` with `rootfs` as its (skeleton) root. */
export function renderOciConfig(spec: WorkspaceSpec, rootfs: string, cgroupsPath?: string): OciConfig {
  const linux: OciConfig['linux'] = {
    namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
    // The bubblewrap path's deny list, applied by gVisor's own kernel (runsc --oci-seccomp).
    seccomp: ociSeccomp(process.arch === 'arm64' ? 'aarch64' : 'x86_64'),
  };
  if (cgroupsPath) linux.cgroupsPath = cgroupsPath;
  if (spec.limits) linux.resources = ociResources(spec.limits);
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: spec.argv,
      env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      cwd: spec.cwd,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      noNewPrivileges: true,
      ...(spec.fileSizeLimitBytes !== undefined
        ? { rlimits: [{ type: 'RLIMIT_FSIZE', hard: spec.fileSizeLimitBytes, soft: spec.fileSizeLimitBytes }] }
        : {}),
    },
    root: { path: rootfs, readonly: true },
    hostname: spec.hostname,
    mounts: spec.mounts.flatMap(ociMounts),
    linux,
  };
}

/** Creates the skeleton root: every mount point (a directory, or an empty file for a file bind) and symlink. */
function writeSkeleton(spec: WorkspaceSpec, rootfs: string): void {
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  const inRoot = (target: string) => path.join(rootfs, path.normalize(target));
  for (const m of spec.mounts) {
    const dest = inRoot(m.target);
    if (m.kind === 'symlink') {
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
      fs.symlinkSync(m.linkTo, dest);
    } else if (m.kind === 'bind' && fs.existsSync(m.source) && !fs.statSync(m.source).isDirectory()) {
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
      if (!fs.existsSync(dest)) fs.writeFileSync(dest, '', { mode: 0o644 });
    } else {
      fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
    }
  }
}

/** Writes {bundleDir}/config.json and {bundleDir}/rootfs for `spec`; answers the bundle dir. */
export function writeOciBundle(spec: WorkspaceSpec, bundleDir: string, cgroupsPath?: string): string {
  fs.mkdirSync(bundleDir, { recursive: true, mode: 0o700 });
  const rootfs = path.join(bundleDir, 'rootfs');
  writeSkeleton(spec, rootfs);
  // config.json holds the workspace's environment (its own token): readable by the server only.
  fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(renderOciConfig(spec, rootfs, cgroupsPath), null, 1), { mode: 0o600 });
  return bundleDir;
}
