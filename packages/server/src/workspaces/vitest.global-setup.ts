/**
 * Vitest globalSetup: builds packages/ide once before the workspace tests (add this file to the
 * root vitest config's `globalSetup`). Skipped when bwrap is unusable (the tests then skip or fail),
 * or when CODITECT_TEST_SKIP_IDE_BUILD=1 (a quick run of suites that do not start an IDE; suites
 * that do still build it in their own beforeAll).
 */
import { ensureIdeBuilt, sandboxPrereq } from './test-support.js';

export default async function setup(): Promise<void> {
  if (process.env.CODITECT_TEST_SKIP_IDE_BUILD === '1') {
    console.warn('[global-setup] CODITECT_TEST_SKIP_IDE_BUILD=1: not building the IDE up front');
    return;
  }
  if (!sandboxPrereq().ok) return;
  await ensureIdeBuilt();
}
