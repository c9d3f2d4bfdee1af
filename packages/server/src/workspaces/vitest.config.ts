// Local config for running the workspace tests alone (no import, so `npx vitest` works without a
// local install):  npx vitest@3.2.7 run --config packages/server/src/workspaces/vitest.config.ts
// The root config should add 'packages/server/src/workspaces/vitest.global-setup.ts' to globalSetup.
export default {
  test: {
    root: new URL('../../../..', import.meta.url).pathname,
    include: ['packages/server/src/workspaces/**/*.test.ts'],
    globalSetup: ['packages/server/src/workspaces/vitest.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 15 * 60_000,
  },
};
