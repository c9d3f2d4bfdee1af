/**
 * Renders a WorkspaceSpec as a bubblewrap command line. Namespaces: all unshared (user, ipc, pid,
 * net, uts, cgroup): the network namespace holds only its own loopback, so the sandbox reaches
 * nothing on the host except through the run dir's sockets. Capabilities dropped, no nested user
 * namespaces, and the seccomp deny list (seccomp/) installed right before the entry runs.
 */
import { execFileSync } from 'node:child_process';
import type { WorkspaceSpec } from './workspace-spec.js';

/** How to render the bubblewrap specifics. */
export interface BwrapRenderOptions {
  /** Whether bwrap supports --disable-userns (bwrap >= 0.8). */
  disableNestedUserns: boolean;
  /** The fd (as the child sees it) bwrap reads the seccomp program from; none: no filter. */
  seccompFd?: number;
}

/** The bwrap argv (without the executable) that runs `spec`. */
export function renderBwrapArgs(spec: WorkspaceSpec, opts: BwrapRenderOptions): string[] {
  const args: string[] = [
    '--unshare-all',
    '--unshare-user',
    '--uid', String(spec.uid),
    '--gid', String(spec.gid),
    '--hostname', spec.hostname,
    '--die-with-parent',
    '--cap-drop', 'ALL',
  ];
  // No nested user namespaces: closes a class of kernel attack surface from inside.
  if (opts.disableNestedUserns) args.push('--disable-userns');
  const readOnlyDirs: string[] = [];
  for (const m of spec.mounts) {
    switch (m.kind) {
      case 'bind':
        args.push(m.readonly ? (m.optional ? '--ro-bind-try' : '--ro-bind') : m.optional ? '--bind-try' : '--bind', m.source, m.target);
        break;
      case 'tmpfs':
        if (m.sizeBytes !== undefined) args.push('--size', String(m.sizeBytes));
        args.push('--tmpfs', m.target);
        break;
      case 'ro-dir':
        // A tmpfs that is made read-only once everything inside it is mounted.
        args.push('--tmpfs', m.target);
        readOnlyDirs.push(m.target);
        break;
      case 'symlink':
        args.push('--symlink', m.linkTo, m.target);
        break;
      case 'proc':
        args.push('--proc', m.target);
        break;
      case 'dev':
        args.push('--dev', m.target);
        break;
    }
  }
  for (const dir of readOnlyDirs) args.push('--remount-ro', dir);
  args.push('--chdir', spec.cwd);
  if (opts.seccompFd !== undefined) args.push('--seccomp', String(opts.seccompFd));
  args.push('--', ...spec.argv);
  return args;
}

let versionCache: { path: string; supportsDisableUserns: boolean } | undefined;

/** Whether this bwrap has --disable-userns (it arrived in bubblewrap 0.8.0). */
export function bwrapSupportsDisableUserns(bwrapPath: string): boolean {
  if (versionCache?.path === bwrapPath) return versionCache.supportsDisableUserns;
  let supports = false;
  try {
    const out = execFileSync(bwrapPath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    const m = /(\d+)\.(\d+)\.(\d+)/.exec(out);
    if (m) supports = Number(m[1]) > 0 || Number(m[2]) >= 8;
  } catch {
    supports = false;
  }
  versionCache = { path: bwrapPath, supportsDisableUserns: supports };
  return supports;
}
