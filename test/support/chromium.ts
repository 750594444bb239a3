// How Chromium is launched on these machines (Debian's package; `npx playwright install`
// cannot download browsers here): one place for the e2e tests and the UI benchmark.
export const chromiumLaunchOptions = () => ({
  executablePath: process.env.SPD_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
