/** The Playwright `test` with the shared lab (started by global-setup.ts) as a fixture. */
import { test as base, type Page } from '@playwright/test';
import type { LabInfo } from './lab';

export const test = base.extend<{ lab: LabInfo }>({
  // eslint-disable-next-line no-empty-pattern
  lab: async ({}, use) => {
    await use(JSON.parse(process.env.CGROUP_USAGE_LAB ?? 'null') as LabInfo);
  }
});

export { expect } from '@playwright/test';

/** Opens JupyterLab (or a path inside it) and waits until its status bar is there. */
export async function openLab(page: Page, lab: LabInfo, path = 'lab'): Promise<void> {
  await page.goto(`${lab.url}${path}?token=${lab.token}`);
  await page.locator('#jp-main-statusbar').waitFor();
}
