/**
 * Which workspaces are being changed on this node: the files API and the IDE
 * open mark a workspace here, and the continuous sync (./workspace-sync.ts)
 * watches the marked ones. Marks fade `lingerMs` after the last one, unless
 * the caller says the workspace is still running.
 */
export class WorkspaceActivity {
  private readonly marks = new Map<string, { tenantId: string; sessionId: string; at: number }>();

  constructor(private readonly lingerMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Marks a workspace as touched on this node now. */
  touch(tenantId: string, sessionId: string): void {
    this.marks.set(`${tenantId}/${sessionId}`, { tenantId, sessionId, at: this.now() });
  }

  /** Workspaces marked recently or still running here; one whose mark faded is listed a last time (`fading`) and forgotten. */
  active(isRunning: (sessionId: string) => boolean): { tenantId: string; sessionId: string; fading: boolean }[] {
    const now = this.now();
    return [...this.marks.entries()].map(([key, m]) => {
      const fading = !isRunning(m.sessionId) && now - m.at >= this.lingerMs;
      if (fading) this.marks.delete(key);
      return { tenantId: m.tenantId, sessionId: m.sessionId, fading };
    });
  }

  /** Number of workspaces marked. */
  get size(): number {
    return this.marks.size;
  }
}
