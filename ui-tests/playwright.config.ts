import { defineConfig } from '@playwright/test';
import { join } from 'node:path';
import { ARTIFACTS } from '../test/helpers/paths';

export default defineConfig({
  testDir: 'tests',
  globalSetup: require.resolve('./global-setup'),
  // One JupyterLab at a time on a 2-core machine; the specs start extra labs of their own.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 180000,
  expect: { timeout: 30000 },
  outputDir: join(ARTIFACTS, 'test-results'),
  reporter: [['list'], ['json', { outputFile: join(ARTIFACTS, 'playwright.json') }]],
  use: {
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright cannot download its own browser here.
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  }
});
