import fs from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '@coditect/contract';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/database.js';

/** How often a node that met a fault checks whether it has passed (space freed, database back). */
const RECHECK_MS = 2000;

/** What `/ready` answers: `ok: false` is a 503; reasons make a 200 "degraded". */
export interface Readiness {
  ok: boolean;
  reasons: string[];
}

/** The local directories whose filesystems hold this node's data, by volume label. */
export function dataVolumes(config: Config): Record<string, string> {
  const volumes: Record<string, string> = { data: config.dataDir };
  if (config.storage.blobs.kind === 'local') volumes.blobs = config.storage.blobs.dir;
  if (config.database.kind === 'sqlite' && config.database.file !== ':memory:') volumes.database = path.dirname(config.database.file);
  return volumes;
}

/** Free bytes (for unprivileged writers) on the filesystem of `dir`, or undefined when it cannot be read. */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await fs.statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * What this node knows of the faults it met: a full disk (a write refused for
 * lack of space, until every data volume has `minFreeBytes` free again) and a
 * lost database (until it answers again). The error handler reports each
 * coded refusal here; `/ready`, the metrics and one log line per change tell
 * the operator. Writes never wait for this state: each one simply tries.
 */
export class NodeHealth {
  private storageFull = false;
  private databaseDown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly refusals: Counter<'code'>;
  private readonly storageFullGauge: Gauge;
  private readonly databaseUpGauge: Gauge;

  constructor(
    private readonly store: Store,
    private readonly volumes: Record<string, string>,
    private readonly minFreeBytes: number,
    metrics: Metrics,
    private readonly log: Logger,
  ) {
    const registers = [metrics.registry];
    this.refusals = new Counter({ name: 'coditect_fault_refusals_total', labelNames: ['code'] as const, registers,
      help: 'Requests refused because of a host fault, by error code (insufficient_storage, database_full, database_unavailable, database_busy)' });
    this.storageFullGauge = new Gauge({ name: 'coditect_storage_full', registers,
      help: '1 while this node refuses writes for lack of disk space (since a refusal, until every data volume has CODITECT_STORAGE_MIN_FREE free)' });
    this.databaseUpGauge = new Gauge({ name: 'coditect_database_up', registers,
      help: '0 from a request that found the database unreachable until it answers again' });
    this.databaseUpGauge.set(1);
    const vols = Object.entries(volumes);
    new Gauge({ name: 'coditect_storage_free_bytes', labelNames: ['volume'] as const, registers,
      help: 'Free bytes on the filesystem of each data volume (data, blobs, database)',
      async collect() {
        for (const [volume, dir] of vols) {
          const free = await freeBytes(dir);
          if (free !== undefined) this.set({ volume }, free);
        }
      } });
  }

  /** Called by the error handler for every coded refusal of a fault. */
  refused(code: ErrorCode, cause: unknown): void {
    this.refusals.inc({ code });
    if ((code === 'insufficient_storage' || (code === 'database_full' && this.store.dialect === 'sqlite')) && !this.storageFull) {
      this.storageFull = true;
      this.storageFullGauge.set(1);
      this.log.error({ code, err: cause, volumes: this.volumes },
        'storage full: writes are refused (507) until space is freed; reads still work, /ready reports degraded');
      this.schedule();
    }
    if (code === 'database_unavailable' && !this.databaseDown) {
      this.databaseDown = true;
      this.databaseUpGauge.set(0);
      this.log.error({ err: cause }, 'database unreachable: requests answer 503 database_unavailable until it is back; /ready answers 503');
      this.schedule();
    }
  }

  /** The readiness of this node, checked now (the database pinged, free space measured when it was short). */
  async readiness(): Promise<Readiness> {
    const dbOk = await this.checkDatabase();
    if (this.storageFull) await this.checkStorage();
    return { ok: dbOk, reasons: this.storageFull ? ['storage_full'] : [] };
  }

  private async checkDatabase(): Promise<boolean> {
    try {
      await this.store.ping();
    } catch {
      return false;
    }
    if (this.databaseDown) {
      this.databaseDown = false;
      this.databaseUpGauge.set(1);
      this.log.warn('database reachable again');
    }
    return true;
  }

  private async checkStorage(): Promise<void> {
    for (const dir of Object.values(this.volumes)) {
      const free = await freeBytes(dir);
      if (free !== undefined && free < this.minFreeBytes) return;
    }
    this.storageFull = false;
    this.storageFullGauge.set(0);
    this.log.warn({ minFreeBytes: this.minFreeBytes }, 'storage has space again: node ready');
  }

  /** While a fault lasts, re-checks it on a timer, so the state clears without /ready being asked. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.storageFull && !this.databaseDown) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      void (async () => {
        if (this.databaseDown) await this.checkDatabase();
        if (this.storageFull) await this.checkStorage();
      })().catch(() => {});
    }, RECHECK_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
