import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources; no build needed for in-process suites.
    alias: [
      { find: /^@coditect\/contract\/password-policy$/, replacement: src('./packages/contract/src/password-policy.ts') },
      { find: /^@coditect\/contract$/, replacement: src('./packages/contract/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.{ts,tsx}', 'packages/*/test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    globalSetup: ['packages/server/src/test-support/global-setup.ts', 'packages/server/src/workspaces/vitest.global-setup.ts'],
    testTimeout: 30_000,
    // Long enough for a cold install + build of the IDE inside a suite's beforeAll.
    hookTimeout: 15 * 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
