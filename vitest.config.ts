import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Some unit tests start the CLI (a tsx process, ~1.5 s each on these machines, more
          // when the machine is busy): the 5 s default made them fail on timing alone.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // Kills the migrate CLI at random moments; needs no cluster, takes a few minutes.
          name: 'crash',
          include: ['test/crash/**/*.test.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts the real control plane once per run when none is running.
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          // Stops and restarts the shared API server: runs alone, after the integration tests.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // A real Docker engine and a real kind cluster (npm run test:kind): builds its images
          // first (cached), then one cluster for the lane's steps, in order.
          name: 'kind',
          include: ['test/kind/**/*.test.ts'],
          globalSetup: ['test/kind/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 3_600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
