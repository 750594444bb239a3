#!/usr/bin/env node
// Runs the compiled CLI (npm run build). During development use `npm run cli -- <args>`.
import('../dist/app/cli/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('sandbox-provisioner: not built yet; run `npm run build` (or use `npm run cli -- <args>`)');
    process.exit(2);
  }
  throw error;
});
