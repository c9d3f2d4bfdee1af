/**
 * Finds where this server may create workspace cgroups: cgroup v2 when the unified hierarchy has
 * the cpu, memory and pids controllers (at CODITECT_CGROUP_ROOT, or the server's own cgroup), else
 * cgroup v1 when cpu, memory and pids hierarchies are mounted and writable. Answers why not otherwise.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CgroupAvailability } from './cgroup-types.js';
import { underMount } from './cgroup-files.js';
import { openCgroupV1 } from './cgroup-v1.js';
import { openCgroupV2 } from './cgroup-v2.js';

export interface DetectCgroupsOptions {
  /** cgroup v2: the delegated directory to create workspace cgroups under (CODITECT_CGROUP_ROOT). */
  root?: string | undefined;
  /** Name of the directory that holds the workspace cgroups. Default `coditect`. */
  parentName?: string;
  /** Where /proc/self/{mountinfo,cgroup} are read (tests). Default /proc/self. */
  procSelf?: string;
}

interface CgroupMount {
  mountPoint: string;
  /** Root of the mount inside its hierarchy (not `/` in some containers). */
  root: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers of this hierarchy. */
  controllers: string[];
}

/** cgroup mounts from a mountinfo text (fields: id parent dev root mountpoint opts… - fstype source superopts). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOpts = ''] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({
      mountPoint: unescape(fields[4] ?? ''),
      root: unescape(fields[3] ?? '/'),
      fsType,
      controllers: fsType === 'cgroup' ? superOpts.split(',').filter((o) => !['rw', 'ro'].includes(o) && !o.includes('=')) : [],
    });
  }
  return out;
}

/** Own cgroup path per hierarchy from /proc/self/cgroup: key `""` for v2, else the controller list. */
export function parseOwnCgroups(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

/** The directory of the process's own cgroup in `mount`, given its path from /proc/self/cgroup. */
function ownDir(mount: CgroupMount, ownPath: string): string {
  const rel = mount.root !== '/' && ownPath.startsWith(mount.root) ? ownPath.slice(mount.root.length) : ownPath;
  return underMount(mount.mountPoint, rel);
}

const errText = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Looks for a usable cgroup hierarchy, v2 first; never throws. */
export async function detectCgroups(opts: DetectCgroupsOptions = {}): Promise<CgroupAvailability> {
  const procSelf = opts.procSelf ?? '/proc/self';
  const parentName = opts.parentName ?? 'coditect';
  let mounts: CgroupMount[];
  let own: Map<string, string>;
  try {
    mounts = parseCgroupMounts(await fs.readFile(path.join(procSelf, 'mountinfo'), 'utf8'));
    own = parseOwnCgroups(await fs.readFile(path.join(procSelf, 'cgroup'), 'utf8'));
  } catch (e) {
    return { ok: false, reason: `cannot read ${procSelf}/mountinfo or cgroup: ${errText(e)}` };
  }
  const reasons: string[] = [];

  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  if (opts.root || unified) {
    const root = opts.root ?? (unified && own.has('') ? ownDir(unified, own.get('')!) : undefined);
    if (root) {
      try {
        return { ok: true, driver: await openCgroupV2({ root, parentName }) };
      } catch (e) {
        reasons.push(`cgroup v2 at ${root}: ${errText(e)} (delegate a subtree: systemd Delegate=yes, or CODITECT_CGROUP_ROOT=<a cgroup this user owns>)`);
      }
    }
    if (opts.root) return { ok: false, reason: reasons.join('; ') };
  }

  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.controllers.includes(controller));
    if (!mount) return undefined;
    const ownPath = own.get(mount.controllers.join(',')) ?? [...own.entries()].find(([k]) => k.split(',').includes(controller))?.[1] ?? '/';
    return path.join(ownDir(mount, ownPath), parentName);
  };
  const cpu = v1('cpu');
  const memory = v1('memory');
  const pids = v1('pids');
  const cpuacct = v1('cpuacct') ?? cpu;
  const missing = Object.entries({ cpu, memory, pids }).filter(([, d]) => !d).map(([c]) => c);
  if (missing.length) {
    reasons.push(`cgroup v1: no ${missing.join(', ')} hierarchy mounted`);
    return { ok: false, reason: reasons.join('; ') };
  }
  try {
    return { ok: true, driver: await openCgroupV1({ cpu: cpu!, cpuacct: cpuacct!, memory: memory!, pids: pids! }) };
  } catch (e) {
    reasons.push(`cgroup v1: ${errText(e)} (the cpu, memory and pids hierarchies must be writable by this user)`);
    return { ok: false, reason: reasons.join('; ') };
  }
}
