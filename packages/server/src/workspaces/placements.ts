import { sql } from 'kysely';
import type { Store, Tx } from '../store/database.js';

/**
 * Which node runs each session's IDE, recorded in the database so any node
 * can send a workspace's traffic to its owner. Rows expire unless their node
 * keeps renewing them, so a dead node's workspaces can be opened elsewhere.
 */
export class WorkspacePlacements {
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    readonly nodeId: string,
    private readonly nodeUrl: () => string,
    private readonly ttlMs: number,
  ) {
    this.heartbeat = setInterval(() => void this.renew().catch(() => {}), Math.max(1000, ttlMs / 3));
    this.heartbeat.unref();
  }

  private expiry(): string {
    return new Date(Date.now() + this.ttlMs).toISOString();
  }

  /**
   * Takes the session for this node unless another live node holds it.
   * Atomic: of two nodes claiming at once, exactly one wins.
   * Returns the owner's URL when it is another node.
   */
  async claim(tenantId: string, sessionId: string): Promise<{ mine: true } | { mine: false; nodeUrl: string }> {
    const now = new Date().toISOString();
    const won = await this.store.tenant(tenantId, (tx) => this.placeHere(tx, tenantId, sessionId, now)
      .returning('node_id')
      .executeTakeFirst());
    if (won) return { mine: true };
    const owner = await this.ownerElsewhere(tenantId, sessionId);
    return owner ? { mine: false, nodeUrl: owner } : this.claim(tenantId, sessionId);
  }

  /** The URL of the live node running this session, when that is not this node. */
  async ownerElsewhere(tenantId: string, sessionId: string): Promise<string | undefined> {
    const row = await this.store.read(tenantId, (db) => db.selectFrom('workspace_placements').selectAll()
      .where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).executeTakeFirst());
    if (!row || row.node_id === this.nodeId || row.expires_at <= new Date().toISOString()) return undefined;
    return row.node_url;
  }

  /**
   * Claims the session for this node unless the tenant's other live
   * placements already reach `max`. One transaction, serialised per tenant
   * (an advisory lock on PostgreSQL; SQLite runs one transaction at a time),
   * so racing claims on any number of nodes never exceed the cap. False: over it.
   */
  async claimWithinCap(tenantId: string, sessionId: string, max: number): Promise<boolean> {
    const now = new Date().toISOString();
    return this.store.tenant(tenantId, async (tx) => {
      if (this.store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`workspace-cap:${tenantId}`}))`.execute(tx);
      const others = await tx.selectFrom('workspace_placements').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId).where('session_id', '!=', sessionId).where('expires_at', '>', now).executeTakeFirst();
      if (Number(others?.n ?? 0) >= max) return false;
      await this.placeHere(tx, tenantId, sessionId, now).execute();
      return true;
    });
  }

  /** The placement upsert both claims share: this node takes the row when it is free, its own, or expired at `now`. */
  private placeHere(tx: Tx, tenantId: string, sessionId: string, now: string) {
    return tx.insertInto('workspace_placements')
      .values({ tenant_id: tenantId, session_id: sessionId, node_id: this.nodeId, node_url: this.nodeUrl(), expires_at: this.expiry() })
      .onConflict((oc) => oc.columns(['tenant_id', 'session_id'])
        .doUpdateSet({ node_id: this.nodeId, node_url: this.nodeUrl(), expires_at: this.expiry() })
        .where((eb) => eb.or([
          eb('workspace_placements.node_id', '=', this.nodeId),
          eb('workspace_placements.expires_at', '<=', sql<string>`${now}`),
        ])));
  }

  /** The tenant's sessions that other live nodes run (one query for a whole session list). */
  async liveElsewhere(tenantId: string): Promise<Set<string>> {
    const now = new Date().toISOString();
    const rows = await this.store.read(tenantId, (db) => db.selectFrom('workspace_placements').select('session_id')
      .where('tenant_id', '=', tenantId).where('node_id', '!=', this.nodeId).where('expires_at', '>', now).execute());
    return new Set(rows.map((r) => r.session_id));
  }

  /** How many of the tenant's sessions live nodes run (this node's included). */
  async countLive(tenantId: string): Promise<number> {
    const now = new Date().toISOString();
    const row = await this.store.read(tenantId, (db) => db.selectFrom('workspace_placements')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId).where('expires_at', '>', now).executeTakeFirst());
    return Number(row?.n ?? 0);
  }

  async release(tenantId: string, sessionId: string): Promise<void> {
    await this.store.tenant(tenantId, (tx) => tx.deleteFrom('workspace_placements')
      .where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).where('node_id', '=', this.nodeId).execute());
  }

  /** Keeps this node's placements alive; also run at start-up to drop what a previous run left. */
  private async renew(): Promise<void> {
    await this.store.system((tx) => tx.updateTable('workspace_placements').set({ expires_at: this.expiry() })
      .where('node_id', '=', this.nodeId).execute());
  }

  /** Forgets every placement of this node (start-up after a crash, or shutdown). */
  async releaseAll(): Promise<void> {
    await this.store.system((tx) => tx.deleteFrom('workspace_placements').where('node_id', '=', this.nodeId).execute());
  }

  close(): void {
    clearInterval(this.heartbeat);
  }
}
