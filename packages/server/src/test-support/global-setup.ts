import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from '../devtools/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when a throwaway PostgreSQL cluster is running for this test run. */
    postgres: { adminUrl: string; appUrlBase: string } | null;
    postgresSkipReason: string;
  }
}

let cluster: PostgresCluster | undefined;

/** Starts one PostgreSQL cluster for the whole run (each test file gets its own database). */
export async function setup(project: TestProject) {
  const bin = findPostgresBin();
  if (!bin) {
    const reason = 'PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)';
    console.warn(`\n[coditect tests] SKIPPING PostgreSQL suites: ${reason}\n`);
    project.provide('postgres', null);
    project.provide('postgresSkipReason', reason);
    return;
  }
  cluster = await startPostgresCluster(bin);
  project.provide('postgres', { adminUrl: cluster.adminUrl, appUrlBase: cluster.appUrlBase });
  project.provide('postgresSkipReason', '');
}

export async function teardown() {
  cluster?.stop();
}
