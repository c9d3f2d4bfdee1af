/**
 * Which runtime this node's workspaces run on, decided once at start-up from
 * CODITECT_WORKSPACE_RUNTIME and a self-test of each candidate:
 *   bwrap  — bubblewrap + the seccomp deny list;
 *   gvisor — runsc; missing or failing its self-test means workspaces cannot open (no silent
 *            fallback to a weaker runtime when gVisor was asked for);
 *   auto   — gVisor when runsc passes its self-test without warnings, else bubblewrap.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { bwrapSupportsDisableUserns } from './bwrap-args.js';
import { runscPaths, runscSelfTest, type RunscPaths, type RuntimeCheck } from './runsc.js';
import { findOnPath } from './sandbox-layout.js';
import { openSeccompFilterFd } from './seccomp/seccomp-filter.js';

/** The operator's setting. */
export type WorkspaceRuntimeSetting = 'auto' | 'gvisor' | 'bwrap';

/** What bubblewrap's self-test found. */
export interface SandboxSupport {
  ok: boolean;
  /** Why sandboxed workspaces cannot run here (when !ok). */
  reason?: string;
  bwrapPath?: string;
}

/** The decision: the runtime workspaces use (or the one asked for that is unavailable), and why. */
export interface RuntimeChoice {
  runtime: 'bwrap' | 'gvisor';
  ok: boolean;
  /** Why this runtime (ok) or why it cannot run (not ok). */
  reason: string;
  bwrapPath?: string;
  runsc?: RunscPaths;
}

let bwrapCache: Promise<SandboxSupport> | undefined;

/**
 * Checks that bubblewrap exists and can create the namespaces we use with the seccomp filter
 * installed (it can fail in containers without user namespaces). Cached per process unless `fresh`.
 */
export function checkSandboxSupport(fresh = false): Promise<SandboxSupport> {
  if (bwrapCache && !fresh) return bwrapCache;
  bwrapCache = new Promise<SandboxSupport>((resolve) => {
    const bwrapPath = findOnPath('bwrap');
    if (!bwrapPath) {
      resolve({ ok: false, reason: 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap' });
      return;
    }
    const args = ['--unshare-all', '--unshare-user', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev'];
    if (bwrapSupportsDisableUserns(bwrapPath)) args.push('--disable-userns');
    let fd: number | undefined;
    try {
      fd = openSeccompFilterFd(os.tmpdir());
    } catch (e) {
      resolve({ ok: false, bwrapPath, reason: `cannot write the seccomp program: ${(e as Error).message}` });
      return;
    }
    let stderr = '';
    const child = spawn(bwrapPath, [...args, '--seccomp', '3', 'true'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 });
    fs.closeSync(fd);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ ok: false, bwrapPath, reason: `bwrap cannot run: ${e.message}` }));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve({ ok: true, bwrapPath });
      else resolve({ ok: false, bwrapPath, reason: `bwrap cannot create a sandbox here: ${stderr.trim() || `exit ${code ?? signal}`}` });
    });
  });
  return bwrapCache;
}

/** Inputs of the decision (the checks are replaceable for tests). */
export interface RuntimeChoiceOptions {
  setting: WorkspaceRuntimeSetting;
  runRoot: string;
  /** runsc executable; default: found on PATH. */
  runscPath?: string;
  bwrapCheck?: () => Promise<SandboxSupport>;
  runscCheck?: (runscPath: string) => Promise<RuntimeCheck>;
}

/** Decides the runtime; never throws (an unavailable runtime is a choice with ok: false). */
export async function chooseRuntime(opts: RuntimeChoiceOptions): Promise<RuntimeChoice> {
  const bwrap = async (why: string): Promise<RuntimeChoice> => {
    const s = await (opts.bwrapCheck ?? checkSandboxSupport)();
    if (!s.ok) return { runtime: 'bwrap', ok: false, reason: s.reason ?? 'bubblewrap is unavailable' };
    return { runtime: 'bwrap', ok: true, reason: why, ...(s.bwrapPath ? { bwrapPath: s.bwrapPath } : {}) };
  };
  if (opts.setting === 'bwrap') return bwrap('CODITECT_WORKSPACE_RUNTIME=bwrap');
  const runscPath = opts.runscPath ?? findOnPath('runsc');
  const check: RuntimeCheck = runscPath
    ? await (opts.runscCheck ?? runscSelfTest)(runscPath)
    : { ok: false, reason: 'runsc is not installed (apt-get install runsc)' };
  const warnings = check.warnings ?? [];
  if (opts.setting === 'gvisor') {
    if (!check.ok || !runscPath) return { runtime: 'gvisor', ok: false, reason: check.reason ?? 'runsc is unavailable' };
    return { runtime: 'gvisor', ok: true, reason: ['CODITECT_WORKSPACE_RUNTIME=gvisor', ...warnings].join('; '), runsc: runscPaths(opts.runRoot, runscPath) };
  }
  if (check.ok && runscPath && warnings.length === 0) {
    return { runtime: 'gvisor', ok: true, reason: 'auto: runsc passed its self-test', runsc: runscPaths(opts.runRoot, runscPath) };
  }
  return bwrap(`auto: gVisor not used (${check.ok ? warnings.join('; ') : check.reason})`);
}
