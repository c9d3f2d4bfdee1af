/**
 * What one running workspace may use. One shape for every runtime: the bubblewrap path enforces
 * it through cgroups (v2 or v1) and sized tmpfs mounts, the gVisor path through the OCI bundle's
 * `linux.resources` + `cgroupsPath`, the Kubernetes path through the pod's resources.
 */
export interface WorkspaceLimits {
  /** CPU time in cores (1 = one full core; 0.5 = half of one). */
  cpus: number;
  /** Memory in bytes (the OOM killer acts inside the workspace beyond it). */
  memoryBytes: number;
  /** Swap in bytes on top of memoryBytes (0: none). */
  swapBytes: number;
  /** Processes and threads at once (a fork bomb stops here). */
  pids: number;
  /** Size of the private /tmp (a tmpfs counted against memoryBytes). */
  tmpBytes: number;
}

/** Defaults a user would expect of one workspace on a shared node. */
export const DEFAULT_WORKSPACE_LIMITS: Readonly<WorkspaceLimits> = Object.freeze({
  cpus: 1,
  memoryBytes: 2 * 1024 ** 3,
  swapBytes: 0,
  pids: 512,
  tmpBytes: 512 * 1024 ** 2,
});
