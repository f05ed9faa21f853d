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

/** Opens the Settings Editor at our plugin's settings, through the menu as a user does. */
export async function openSettingsEditor(page: Page): Promise<void> {
  await page.locator('.lm-MenuBar-item', { hasText: 'Settings' }).click();
  await page.locator('.lm-Menu-item', { hasText: 'Settings Editor' }).click();
  await page.locator('.jp-PluginList-entry', { hasText: 'Resource usage (cgroup)' }).click();
}
