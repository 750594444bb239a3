import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a plain web app: Electron loads the built files, and `serve` hands the same
// files to a browser, so Playwright in Chromium exercises exactly what the desktop app runs.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  // Pure core modules the UI shares (the extra-mount rules) use Node's POSIX path functions;
  // in the page they come from path-browserify, Node's own implementation for browsers.
  resolve: { alias: { 'node:path': 'path-browserify' } },
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
});
