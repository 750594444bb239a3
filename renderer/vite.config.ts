import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a plain web app: Electron loads the built files, and `serve` hands the same
// files to a browser, so Playwright in Chromium exercises exactly what the desktop app runs.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
});
