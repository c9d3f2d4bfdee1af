import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway PostgreSQL cluster from the installed binaries: initdb in a temp
 * dir, a free port, removed afterwards. Runs as `postgres` when we are root
 * (initdb refuses root).
 */
export interface PostgresCluster {
  /** Superuser URL (creates databases and the app role). */
  adminUrl: string;
  /** Base URL for the unprivileged app role, without a database name. */
  appUrlBase: string;
  /** Kills the server as a crash would (`pg_ctl stop -m immediate`), keeping its data. */
  crash(): void;
  /** Starts it again on the same data and port (after `crash`). */
  restart(): void;
  stop(): void;
}

export const APP_ROLE = 'coditect_app';

export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * `durable`: keep synchronous_commit on, so a crash (not only a clean stop)
 * loses no acknowledged commit; the default trades that for speed.
 */
export async function startPostgresCluster(bin: string, { durable = false } = {}): Promise<PostgresCluster> {
  const isRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-pg-'));
  const dataDir = path.join(dir, 'data');
  const asOwner = (cmd: string, args: string[]) => {
    const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed: ${r.stderr || r.stdout}`);
  };
  if (isRoot) execFileSync('chown', ['postgres:postgres', dir]);
  asOwner(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${durable ? '' : ' -c synchronous_commit=off'} -c full_page_writes=off -c max_connections=300`;
  const start = () => asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  const crash = () => asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // The app connects as an ordinary role, so FORCE ROW LEVEL SECURITY applies to it.
  execFileSync('psql', [adminUrl, '-qc', `create role ${APP_ROLE} login password 'app' nosuperuser nobypassrls`]);
  return {
    adminUrl,
    appUrlBase: `postgres://${APP_ROLE}:app@127.0.0.1:${port}`,
    crash,
    restart: start,
    stop() {
      try {
        crash();
      } catch {
        // already stopped (a test crashed it and did not get to restart it)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
