// Playwright fixtures: a `serve` process per worker (its own namespace and settings file),
// the address of its UI, an admin client of the test cluster, and screenshots.
import { test as base, type Locator, type Page } from '@playwright/test';
import { type Served, startServe } from '../support/serve-process.js';

export type { Served };

/**
 * Saves a screenshot of the current screen under the test's output folder (looked at by
 * people), scrolled to `focus` when given (screens scroll inside the window, not the page).
 */
export async function screenshot(
  page: Page,
  name: string,
  testInfo: { outputPath: (n: string) => string },
  focus?: Locator,
): Promise<void> {
  await focus?.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
}

export const test = base.extend<object, { served: Served }>({
  served: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => {
      const s = await startServe();
      await use(s);
      await s.stop();
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
