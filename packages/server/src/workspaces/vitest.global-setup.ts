/**
 * Vitest globalSetup: builds packages/ide once before the workspace tests (add this file to the
 * root vitest config's `globalSetup`). Skipped when bwrap is unusable (the tests then skip or fail).
 */
import { ensureIdeBuilt, sandboxPrereq } from './test-support.js';

export default async function setup(): Promise<void> {
  if (!sandboxPrereq().ok) return;
  await ensureIdeBuilt();
}
