/**
 * gVisor's runsc as a workspace runtime: the command that runs one bundle, and the lifecycle the
 * runner owns around it — one state dir per node, kill, `delete -force`, the clean-up of sandboxes
 * a crashed server left behind, and a start-up self-test.
 * Flags: `--oci-seccomp` (the bundle's deny list applies inside), `--network=none` (the sandbox has
 * only its own loopback; traffic leaves only through the run dir's sockets) and `--host-uds=open`
 * (the sandbox may connect to the host sockets the server listens on, never create one).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkspaceSpec } from './workspace-spec.js';
import { writeOciBundle } from './oci-bundle.js';

/** Where one node's runsc state and bundles live. */
export interface RunscPaths {
  runscPath: string;
  /** `runsc --root`: this node's sandboxes, listed and cleaned on start. */
  stateDir: string;
  /** {bundlesDir}/{containerId}: config.json + skeleton root. */
  bundlesDir: string;
}

/** Result of a self-test: ok, or why not. */
export interface RuntimeCheck {
  ok: boolean;
  reason?: string;
  /** Problems that do not stop the runtime but make it a poor default (logged). */
  warnings?: string[];
}

/** The runsc state and bundle dirs of the node whose run dirs live in `runRoot`. */
export function runscPaths(runRoot: string, runscPath: string): RunscPaths {
  return { runscPath, stateDir: path.join(runRoot, '.runsc', 'state'), bundlesDir: path.join(runRoot, '.runsc', 'bundles') };
}

/** The container id of a session (session ids are [A-Za-z0-9_-]). */
export function containerId(sessionId: string): string {
  return `coditect-${sessionId}`;
}

/** cgroup of a session under every v1 controller (or the v2 tree), created by runsc. */
export function runscCgroupsPath(sessionId: string): string {
  return `/coditect/gvisor-${sessionId}`;
}

function runsc(paths: RunscPaths, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(paths.runscPath, ['--root', paths.stateDir, ...args], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === -1 ? err.message : '')) });
    });
  });
}

/** Writes the bundle and answers the argv (after the runsc executable) that runs it in the foreground. */
export function prepareRunsc(paths: RunscPaths, spec: WorkspaceSpec): { args: string[]; bundleDir: string; id: string } {
  const id = containerId(spec.sessionId);
  fs.mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  // Always a cgroup under /coditect (runsc would otherwise make one at the top named after the id).
  const bundleDir = writeOciBundle(spec, path.join(paths.bundlesDir, id), runscCgroupsPath(spec.sessionId));
  return {
    id,
    bundleDir,
    args: ['--root', paths.stateDir, '--network=none', '--oci-seccomp', '--host-uds=open', 'run', '--bundle', bundleDir, id],
  };
}

/** Sends `signal` to every process of the sandbox. */
export async function killSandbox(paths: RunscPaths, id: string, signal: 'TERM' | 'KILL'): Promise<void> {
  await runsc(paths, ['kill', '--all', id, signal], 10_000);
}

/** Removes the sandbox (killing what is left of it) and its bundle. */
export async function deleteSandbox(paths: RunscPaths, id: string): Promise<void> {
  await runsc(paths, ['delete', '-force', id], 20_000);
  fs.rmSync(path.join(paths.bundlesDir, id), { recursive: true, force: true });
}

/** Ids of the sandboxes in this node's state dir. */
export async function listSandboxes(paths: RunscPaths): Promise<string[]> {
  if (!fs.existsSync(paths.stateDir)) return [];
  const r = await runsc(paths, ['list', '-format=json']);
  if (r.code !== 0) throw new Error(`runsc list failed: ${r.stderr.trim()}`);
  const list = JSON.parse(r.stdout.trim() || 'null') as { id: string }[] | null;
  return (list ?? []).map((c) => c.id);
}

/** Deletes every sandbox a previous (crashed) server on this node left behind; answers their ids. */
export async function cleanLeftoverSandboxes(paths: RunscPaths): Promise<string[]> {
  const ids = await listSandboxes(paths);
  for (const id of ids) await deleteSandbox(paths, id);
  fs.rmSync(paths.bundlesDir, { recursive: true, force: true });
  return ids;
}

/**
 * Starts a throw-away sandbox (read-only skeleton root, /usr bound) that must exit 0, then checks
 * that coreutils' `ls` works inside (gVisor releases before 2023 refuse the statx flags of
 * coreutils 9: that is a warning, not a failure).
 */
export async function runscSelfTest(runscPath: string): Promise<RuntimeCheck> {
  if (!fs.existsSync(runscPath)) return { ok: false, reason: `runsc not found at ${runscPath} (apt-get install runsc)` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-runsc-test-'));
  const paths = runscPaths(dir, runscPath);
  const spec: WorkspaceSpec = {
    // Unique: the cgroup path is per session id and self-tests may run side by side.
    sessionId: `selftest-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    hostname: 'coditect',
    uid: 0,
    gid: 0,
    mounts: [
      ...['/usr', '/bin', '/lib', '/lib64', '/sbin'].flatMap((d): WorkspaceSpec['mounts'] => {
        try {
          const st = fs.lstatSync(d);
          if (st.isSymbolicLink()) return [{ kind: 'symlink', target: d, linkTo: fs.readlinkSync(d) }];
          return [{ kind: 'bind', source: d, target: d, readonly: true }];
        } catch {
          return [];
        }
      }),
      { kind: 'proc', target: '/proc' },
      { kind: 'dev', target: '/dev' },
    ],
    cwd: '/',
    argv: ['/bin/sh', '-c', 'ls -d / >/dev/null 2>&1 || echo "ls-failed"'],
    env: { PATH: '/usr/bin:/bin' },
    runDir: dir,
    sockets: { ide: { hostPath: '' }, api: { hostPath: '' } },
  };
  try {
    const { args, id } = prepareRunsc(paths, spec);
    const r = await runsc(paths, args.slice(2), 30_000);
    await deleteSandbox(paths, id).catch(() => {});
    if (r.code !== 0) return { ok: false, reason: `runsc cannot start a sandbox here (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-300) || 'no output'}` };
    const warnings = r.stdout.includes('ls-failed')
      ? ['this gVisor release refuses the statx flags of coreutils (ls, stat fail inside): install a newer runsc']
      : [];
    return { ok: true, warnings };
  } catch (e) {
    return { ok: false, reason: `runsc self-test failed: ${(e as Error).message}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
