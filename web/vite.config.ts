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
    // Screens loaded by import() preload their files themselves, with integrity
    // (web/src/lazy-screens.ts): Vite's own preload of them would fetch them without it.
    modulePreload: { polyfill: false, resolveDependencies: (_file, deps, { hostType }) => (hostType === 'html' ? deps : []) },
    // Chunks are small enough to be fetched by a slow phone; the worker holds libsodium.
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
    // Chunks that are neither the page's entry nor a screen folder's are named for what
    // they are (code the page and the screens share), not after their first module.
    rolldownOptions: { output: { chunkFileNames: (chunk) => (chunk.isDynamicEntry ? 'assets/[name]-[hash].js' : 'assets/shared-[hash].js') } },
  },
  // Only the screen folders' index.ts may be loaded by import(), and only by the loader that
  // preloads them with integrity first: [Note: screens loaded after login].
  plugins: [integrity({ lazy: /^\/src\/screens\/[^/]+\/index\.ts$/, loader: /^\/src\/lazy-screens\.ts$/ })],
  worker: { format: 'es' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
