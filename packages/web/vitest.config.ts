import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * Component/unit tests run in happy-dom (each file also says so in a
 * `@vitest-environment` docblock, so the root runner gets the same result);
 * the browser end-to-end tests under `test/` run in node and drive Chromium.
 */
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@coditect/contract': fileURLToPath(new URL('../contract/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
