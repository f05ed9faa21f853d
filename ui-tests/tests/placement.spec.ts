/**
 * The `placement` setting in a real JupyterLab: switched in the Settings Editor, the item moves
 * from the status bar to the top bar without a reload (its details then open below it), and
 * back again.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { expect, openLab, openSettingsEditor, test } from '../helpers/fixtures';
import { FAST_REFRESH, PLUGIN_ID, startLab } from '../helpers/lab';

const IN_STATUS_BAR = '#jp-main-statusbar .jp-CgroupUsage-item';
const IN_TOP_BAR = '#jp-top-bar .jp-CgroupUsage-item';

async function choosePlacement(page: Page, placement: 'statusbar' | 'topbar'): Promise<void> {
  // The Settings Editor's select has no accessible name; rjsf ids end with the property's name.
  await page.locator('select[id$="_placement"]').selectOption(placement);
}

test('switching placement moves the item between the status bar and the top bar, live', async ({ page }) => {
  const lab = await startLab({ name: 'placement', userSettings: FAST_REFRESH });
  try {
    await openLab(page, lab);
    await expect(page.locator(IN_STATUS_BAR)).toHaveAttribute('data-state', 'available');
    await expect(page.locator(IN_STATUS_BAR)).toBeVisible();
    await expect(page.locator(IN_TOP_BAR)).toBeHidden();

    await openSettingsEditor(page);
    await choosePlacement(page, 'topbar');
    await expect(page.locator(IN_TOP_BAR)).toBeVisible();
    await expect(page.locator(IN_STATUS_BAR)).toBeHidden();
    const item = page.locator(IN_TOP_BAR);
    await expect(item).toHaveAttribute('data-state', 'available');
    await expect(item.locator('[data-kind="memory"]')).toHaveText(/^Mem \d+(\.\d)?\/\d+(\.\d)? (B|KiB|MiB|GiB|TiB)$/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.locator('#jp-top-panel').screenshot({ path: join(SCREENSHOTS, 'topbar.png') });

    // Its details open below it, inside the window, and close on Escape.
    await item.click();
    const details = page.locator('.jp-CgroupUsage-details');
    await expect(details).toBeVisible();
    const itemBox = (await item.boundingBox())!;
    const detailsBox = (await details.boundingBox())!;
    expect(detailsBox.y).toBeGreaterThanOrEqual(itemBox.y + itemBox.height - 1);
    expect(detailsBox.x + detailsBox.width).toBeLessThanOrEqual(page.viewportSize()!.width);
    await page.keyboard.press('Escape');
    await expect(details).toHaveCount(0);

    // Saved as the user's setting, and switched back the same way.
    const saved = await fetch(`${lab.url}lab/api/settings/${PLUGIN_ID}`, {
      headers: { Authorization: `token ${lab.token}` }
    });
    expect(((await saved.json()) as { settings: { placement: string } }).settings.placement).toBe('topbar');
    await choosePlacement(page, 'statusbar');
    await expect(page.locator(IN_STATUS_BAR)).toBeVisible();
    await expect(page.locator(IN_TOP_BAR)).toBeHidden();
    await expect(page.locator(IN_STATUS_BAR)).toHaveAttribute('data-state', 'available');
  } finally {
    await lab.stop();
  }
});
