import { Migrator, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-types.js';
import { initial } from './001-initial.js';
import { llm } from './002-llm.js';
import { workspaceStorage } from './003-workspace-storage.js';
import { rateLimits } from './004-rate-limits.js';
import { workspacePlacements } from './005-workspace-placements.js';
import { workspaceTickets } from './006-workspace-tickets.js';
import { providerChecks } from './007-provider-checks.js';

/** The one migration set; names sort in the order they apply. */
const migrationsFor = (dialect: Dialect): Record<string, Migration> => {
  const t = columnTypes(dialect);
  return { '001-initial': initial(t), '002-llm': llm(t), '003-workspace-storage': workspaceStorage(t),
    '004-rate-limits': rateLimits(t), '005-workspace-placements': workspacePlacements(t),
    '006-workspace-tickets': workspaceTickets(t), '007-provider-checks': providerChecks(t) };
};

/** Applies pending migrations; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialect) } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
