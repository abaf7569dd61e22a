// Builds the web client into web/dist, which the server serves at `/`.
// No inline script or style anywhere in the output: the server's Content-Security-Policy
// allows only files from 'self' (and WebAssembly compilation for libsodium). The integrity
// plugin adds Subresource Integrity and writes web-manifest.json ([Note: code integrity of
// the web client] in build/integrity.ts).
import { defineConfig } from 'vite';
import { integrity } from './build/integrity.ts';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // The build's own files only: no public/ folder copied blindly.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill is only for browsers without modulepreload; it is not needed here.
    modulePreload: { polyfill: false },
    // Chunks are small enough to be fetched by a slow phone; the worker holds libsodium.
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
  plugins: [integrity()],
  worker: { format: 'es' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
