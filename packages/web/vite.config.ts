import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress';

/** The API server the dev server proxies `/api` to (`npm start` listens on 8080). */
const apiTarget = process.env.CODITECT_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), precompress()],
  resolve: {
    // Use the contract's TypeScript sources directly: no build step between the two packages.
    alias: [
      { find: /^@coditect\/contract\/password-policy$/, replacement: fileURLToPath(new URL('../contract/src/password-policy.ts', import.meta.url)) },
      { find: /^@coditect\/contract$/, replacement: fileURLToPath(new URL('../contract/src/index.ts', import.meta.url)) },
    ],
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false }, '/ws': { target: apiTarget, ws: true } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
});
