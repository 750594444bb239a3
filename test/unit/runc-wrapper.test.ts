// The test engine's runc wrapper (test/engine/runc-wrapper.go) is Go; its tests are Go tests
// (runc-wrapper_test.go), run here so `npm test` runs them. Go is the toolchain scripts/setup.sh
// provides for the test cluster; nothing else is taken from PATH.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';

const engineDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'engine');

it('runc-wrapper drops the capabilities this machine lacks from the spec runc applies, and nothing else', async () => {
  const r = await execa('go', ['test', '-count=1', 'runc-wrapper.go', 'runc-wrapper_test.go'], {
    cwd: engineDir,
    env: { GOFLAGS: '', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    reject: false,
  });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^ok\s/m);
}, 180_000);
