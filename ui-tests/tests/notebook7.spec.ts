/**
 * Notebook 7, installed next to JupyterLab, started with `jupyter notebook` inside a child cgroup
 * with a 1 GiB memory limit and a 0.5-CPU quota. It has no status bar: the item is in its top
 * bar on the tree, notebook, console and editor pages, with the limits the sidecar's --once
 * reads in the same cgroup; a click opens the details below it; an OOM kill in a notebook brings
 * the notification.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { ChildCgroups } from '../../test/helpers/cgroup';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { onceInCgroupsOf } from '../../test/helpers/sidecar';
import { expect, test } from '../helpers/fixtures';
import { FAST_REFRESH, startLimitedLab, type Lab } from '../helpers/lab';
import {
  createNotebook,
  createTextFile,
  EXCEED_1_GIB,
  runIntoOomKill,
  shutdownKernels,
  waitForIdleKernel
} from '../helpers/notebook';
import { expectCgroupLimitsShown, statusItem } from '../helpers/statusbar';

const LIMITS = { memoryBytes: 2 ** 30, memoryText: '1.0 GiB', cpus: 0.5 };
/** The top bar's toolbar, which JupyterLab's top-bar plugin builds in Notebook 7 too. */
const TOP_BAR = '#jp-top-bar';

let cgroups: ChildCgroups | null = null;
let notebook: Lab | null = null;
let refused: string | null = null;

test.beforeAll(async () => {
  ({
    lab: notebook,
    cgroups,
    refused
  } = await startLimitedLab(
    { name: 'notebook7', app: 'notebook', userSettings: FAST_REFRESH },
    { memoryBytes: LIMITS.memoryBytes, cpuQuotaUs: LIMITS.cpus * 100000 }
  ));
});

test.afterAll(async () => {
  await notebook?.stop();
  await cgroups?.remove();
});

async function openPage(page: Page, path: string): Promise<void> {
  await page.goto(`${notebook!.url}${path}?token=${notebook!.token}`);
  await expect(page.locator(`${TOP_BAR} .jp-CgroupUsage-item`)).toHaveAttribute('data-state', 'available');
}

test('the tree page shows the item in the top bar with the limits --once reads, and its details', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  const ourErrors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error' && message.text().includes('cgroup-usage')) {
      ourErrors.push(message.text());
    }
  });
  await openPage(page, 'tree');
  // No status bar in Notebook 7, so the status-bar plugin has nothing to add to: one item only.
  await expect(page.locator('#jp-main-statusbar')).toHaveCount(0);
  await expect(statusItem(page)).toHaveCount(1);
  const shown = await expectCgroupLimitsShown(page, LIMITS);
  // Every plugin of ours started (none asked for the status bar Notebook 7 lacks).
  expect(ourErrors).toEqual([]);
  const once = onceInCgroupsOf(notebook!.pid);
  console.log(`shown: ${JSON.stringify(shown)}\n--once: ${JSON.stringify(once)}`);
  expect([shown.memoryLimit, shown.cpuLimit]).toEqual([once.memory.limit, once.cpu.limit]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('#top-panel-wrapper').screenshot({ path: join(SCREENSHOTS, 'notebook7-topbar.png') });

  // The details open below the item (there is no room above it) and close on Escape.
  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details).toBeVisible();
  await expect(details.locator('.jp-CgroupUsage-row[data-row="memoryLimit"]')).toContainText('1.0 GiB');
  await expect(details.locator('.jp-CgroupUsage-feed')).toHaveText('Live: updated as the sidecar samples');
  const itemBox = (await statusItem(page).boundingBox())!;
  const detailsBox = (await details.boundingBox())!;
  expect(detailsBox.y).toBeGreaterThanOrEqual(itemBox.y + itemBox.height - 1);
  expect(detailsBox.y + detailsBox.height).toBeLessThanOrEqual(page.viewportSize()!.height);
  await page.screenshot({ path: join(SCREENSHOTS, 'notebook7-details.png') });
  await page.keyboard.press('Escape');
  await expect(details).toHaveCount(0);
});

test('the notebook, console and editor pages show the item too', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await createNotebook(notebook!, 'pages.ipynb', 'print("hello")');
  await createTextFile(notebook!, 'notes.txt', 'some text\n');
  try {
    for (const path of ['notebooks/pages.ipynb', 'consoles/', 'edit/notes.txt']) {
      await openPage(page, path);
      await expect(statusItem(page)).toHaveCount(1);
      await expect(statusItem(page).locator('[data-kind="memory"]')).toHaveText(new RegExp(`/${LIMITS.memoryText}$`));
    }
  } finally {
    await shutdownKernels(notebook!);
  }
});

test('a cell exceeding the limit is OOM-killed and Notebook 7 shows the notification', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await createNotebook(notebook!, 'exceed.ipynb', EXCEED_1_GIB);
  await openPage(page, 'notebooks/exceed.ipynb');
  await expect(page.locator('.jp-Notebook .jp-Cell').first()).toBeVisible({ timeout: 60000 });
  await waitForIdleKernel(notebook!, 'exceed.ipynb');
  await runIntoOomKill(page, cgroups!.dirs);
  await page.screenshot({ path: join(SCREENSHOTS, 'notebook7-oom.png') });
});
