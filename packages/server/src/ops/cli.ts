import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { OpsError } from './backup-format.js';
import { backupInstance } from './backup.js';
import { restoreInstance } from './restore.js';

export const OPS_HELP = `Back up and restore a whole Coditect instance (database, blobs, workspaces, generated secrets).
The instance is the one the environment configures (CODITECT_DATA_DIR, CODITECT_DATABASE_URL, CODITECT_BLOB_URL …).

  backup  --to DIR [--link-dest PREV] [--no-secrets] [--database-url URL]
          online: the server may keep running. DIR must be empty or missing.
          --link-dest PREV   hard-link blobs an earlier backup already holds (incremental)
          --no-secrets       leave out data/secrets (JWT secret, LLM master key): supply them via the environment instead
  restore --from DIR [--force] [--no-secrets] [--database-url URL]
          stop the server first. Verifies every checksum before touching anything;
          refuses a non-empty target (tables, workspaces, blobs, secrets) unless --force.
  --database-url URL  PostgreSQL only: connect with this URL instead of CODITECT_DATABASE_URL (e.g. a superuser)`;

/**
 * \`backup\` / \`restore\` as commands: used by scripts/ops.mjs
 * and \`coditect backup|restore\`. Returns the process exit code
 * (0 ok, 1 failure, 2 usage, 78 configuration).
 */
export async function runOpsCommand(
  command: 'backup' | 'restore', argv: string[], env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const log = (line: string) => process.stderr.write(`${command}: ${line}\n`);
  let flags;
  try {
    flags = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        to: { type: 'string' }, from: { type: 'string' }, 'link-dest': { type: 'string' }, force: { type: 'boolean' },
        'no-secrets': { type: 'boolean' }, 'database-url': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${OPS_HELP}\n`);
    return 2;
  }
  if (flags.help) { process.stdout.write(`${OPS_HELP}\n`); return 0; }
  if (command === 'backup' ? !flags.to : !flags.from) {
    process.stderr.write(`${command}: ${command === 'backup' ? '--to DIR' : '--from DIR'} is required\n\n${OPS_HELP}\n`);
    return 2;
  }
  try {
    const config = loadConfig(env);
    if (command === 'backup') {
      const r = await backupInstance(config, {
        to: flags.to!, linkDest: flags['link-dest'], includeSecrets: !flags['no-secrets'], databaseUrl: flags['database-url'], log,
      });
      const m = r.manifest;
      if (flags.json) process.stdout.write(`${JSON.stringify({ dir: r.dir, durationMs: r.durationMs, manifest: m })}\n`);
      else {
        process.stdout.write(`Backed up to ${r.dir} in ${(r.durationMs / 1000).toFixed(1)} s: ${m.source.database} database, `
          + `${m.blobs.count} blobs (${m.blobs.bytes} bytes), workspaces ${m.workspaces ? 'yes' : 'none'}, secrets ${m.secrets.length ? m.secrets.join(', ') : 'not included'}`
          + `${m.warnings.length ? `, ${m.warnings.length} warning(s)` : ''}\n`);
        if (m.secrets.length) process.stdout.write('The backup contains the instance secrets: keep it as private as the data dir.\n');
      }
    } else {
      const r = await restoreInstance(config, {
        from: flags.from!, force: flags.force, restoreSecrets: !flags['no-secrets'], databaseUrl: flags['database-url'], log,
      });
      if (flags.json) process.stdout.write(`${JSON.stringify({ durationMs: r.durationMs, blobsWritten: r.blobsWritten })}\n`);
      else process.stdout.write(`Restored ${flags.from} in ${(r.durationMs / 1000).toFixed(1)} s. Start the server to use it.\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`${err.message}\n`); return 78; }
    if (err instanceof OpsError) { process.stderr.write(`${command} failed: ${err.message}\n`); return 1; }
    process.stderr.write(`${command} failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
