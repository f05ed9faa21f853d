/**
 * The kernel panel in a real JupyterLab: two notebooks, one of which allocates 300 MiB. The
 * panel (opened from the details view, and from the command palette) names that notebook first
 * with about that much more memory; and the page asks the sidecar for kernels only while the
 * panel is open.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { expect, test } from '../helpers/fixtures';
import { createNotebook, openNotebook, shutdownKernels } from '../helpers/notebook';
import { statusItem, waitForFigures } from '../helpers/statusbar';

const MiB = 2 ** 20;
const ALLOCATION = 300 * MiB;
const PANEL = '.jp-CgroupUsage-kernels';
const PANEL_TAB = '.jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id="jp-CgroupUsage-kernels"]';

/** Counts the page's kernel-list requests and the status bar's updates (frames of its stream or polls). */
function countRequests(page: Page): { kernels: number; updates: number } {
  const counts = { kernels: 0, updates: 0 };
  page.on('request', request => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('/cgroup-usage/api/v1/kernels')) {
      counts.kernels++;
    } else if (path.endsWith('/cgroup-usage/api/v1/metrics')) {
      counts.updates++;
    }
  });
  page.on('websocket', socket => {
    if (new URL(socket.url()).pathname.endsWith('/cgroup-usage/api/v1/stream')) {
      socket.on('framereceived', () => counts.updates++);
    }
  });
  return counts;
}

/** Lets `updates` more status-bar updates happen: the window in which a closed panel must ask nothing. */
async function whileStatusBarUpdates(counts: { updates: number }, updates: number): Promise<void> {
  const target = counts.updates + updates;
  await expect.poll(() => counts.updates, { timeout: 60000 }).toBeGreaterThanOrEqual(target);
}

async function rssOf(page: Page, title: string): Promise<number> {
  const row = page.locator(`${PANEL} .jp-CgroupUsage-kernelRow`, { hasText: title });
  return Number(await row.getAttribute('data-rss'));
}

test('the kernel panel names the notebook that allocated 300 MiB first, and asks only while open', async ({
  page,
  lab
}) => {
  await createNotebook(lab, 'kernels-small.ipynb', 'print("small ready")');
  await createNotebook(lab, 'kernels-big.ipynb', `x = b"\\x01" * ${ALLOCATION}\nprint("allocated", len(x))`);
  const counts = countRequests(page);
  try {
    // A workspace of its own: both notebooks stay open in it, and later tests do not get them restored.
    await openNotebook(page, lab, 'kernels-small.ipynb', 'kernels');
    await openNotebook(page, lab, 'kernels-big.ipynb', 'kernels');
    await waitForFigures(page);
    await whileStatusBarUpdates(counts, 2);
    expect(counts.kernels).toBe(0);

    // Before the allocation: both kernels listed, about the same size.
    await statusItem(page).click();
    await page.locator('.jp-CgroupUsage-openKernels').click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    const rows = panel.locator('.jp-CgroupUsage-kernelRow');
    await expect(rows.filter({ hasText: 'kernels-small.ipynb' })).toHaveAttribute('data-rss', /^\d+$/);
    await expect(rows.filter({ hasText: 'kernels-big.ipynb' })).toHaveAttribute('data-rss', /^\d+$/);
    const before = (await rssOf(page, 'kernels-big.ipynb')) - (await rssOf(page, 'kernels-small.ipynb'));
    console.log(`before: big - small = ${(before / MiB).toFixed(1)} MiB`);

    // The big notebook is the current tab; the small one's cells are in the DOM too, hidden.
    const big = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
    await big.locator('.jp-Cell .jp-InputArea-editor').first().click();
    await page.keyboard.press('Shift+Enter');
    await expect(big.locator('.jp-OutputArea-output')).toContainText(`allocated ${ALLOCATION}`, { timeout: 60000 });
    await expect(rows.first()).toContainText('kernels-big.ipynb', { timeout: 30000 });
    await expect
      .poll(async () => (await rssOf(page, 'kernels-big.ipynb')) - (await rssOf(page, 'kernels-small.ipynb')), {
        timeout: 30000
      })
      .toBeGreaterThan(before + 0.8 * ALLOCATION);
    const after = (await rssOf(page, 'kernels-big.ipynb')) - (await rssOf(page, 'kernels-small.ipynb'));
    console.log(`after: big - small = ${(after / MiB).toFixed(1)} MiB; rows: ${await rows.allInnerTexts()}`);
    expect(after - before).toBeLessThan(1.3 * ALLOCATION);
    await expect(rows.first().locator('[data-cell="processes"]')).toHaveText(/^\d+$/);
    await expect(rows.first().locator('[data-cell="cpu"]')).toHaveText(/^\d+\.\d$/);

    // The precise figure, on request.
    await rows.first().locator('.jp-CgroupUsage-measurePss').click();
    await expect(rows.first().locator('[data-cell="pss"]')).toHaveText(/^\d+(\.\d)? (MiB|GiB) PSS \(in \d+ ms\)$/);
    console.log(`PSS: ${await rows.first().locator('[data-cell="pss"]').innerText()}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await panel.screenshot({ path: join(SCREENSHOTS, 'kernels.png') });
    expect(counts.kernels).toBeGreaterThan(0);

    // Closed: no more kernel requests while the status bar keeps polling.
    await page.locator(PANEL_TAB).click();
    await expect(panel).toBeHidden();
    const closedAt = counts.kernels;
    await whileStatusBarUpdates(counts, 2);
    expect(counts.kernels).toBe(closedAt);

    // The command palette opens it again, and the requests resume.
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Show Kernel Usage');
    await page.keyboard.press('Enter');
    await expect(panel).toBeVisible();
    await expect.poll(() => counts.kernels).toBeGreaterThan(closedAt);
  } finally {
    await shutdownKernels(lab);
  }
});
