/**
 * The status bar of a real JupyterLab shows the container's CPU and memory, the same figures
 * the sidecar prints with --once, and follows a notebook that allocates memory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openLab, test } from '../helpers/fixtures';
import { createNotebook, openNotebook, runFirstCell, shutdownKernels } from '../helpers/notebook';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { onceInCgroupsOf } from '../../test/helpers/sidecar';
import { shownFigures, statusItem, waitForFigures } from '../helpers/statusbar';

const MiB = 2 ** 20;

test('the status bar shows CPU and memory matching the sidecar --once output', async ({ page, lab }) => {
  const loaded = Date.now();
  await openLab(page, lab);
  const item = statusItem(page);
  await expect(item).toHaveAttribute('data-state', 'available');
  console.log(`figures shown ${Date.now() - loaded} ms after the page load started`);
  await expect(item.locator('[data-kind="cpu"]')).toHaveText(/^CPU (\?|\d+\.\d)\/\d+(\.\d+)?$/);
  await expect(item.locator('[data-kind="memory"]')).toHaveText(/^Mem \d+(\.\d)?\/\d+(\.\d)? (B|KiB|MiB|GiB|TiB)$/);

  const shown = await waitForFigures(page);
  const once = onceInCgroupsOf(lab.pid);
  console.log(`shown: ${JSON.stringify(shown)}\n--once: ${JSON.stringify(once)}`);
  // Limits are read from the same cgroup files: exactly equal.
  expect(shown.memoryLimit).toBe(once.memory.limit);
  expect(shown.cpuLimit).toBeCloseTo(once.cpu.limit, 2);
  // Usage moves between two samples; the --once process itself adds its own few dozen MiB.
  expect(Math.abs(shown.memoryUsed - (once.memory.used ?? NaN))).toBeLessThan(128 * MiB);
  expect(shown.cpuUsed).toBeGreaterThanOrEqual(0);
  expect(shown.cpuUsed).toBeLessThanOrEqual(shown.cpuLimit + 0.1);

  mkdirSync(SCREENSHOTS, { recursive: true });
  await item.screenshot({ path: join(SCREENSHOTS, 'statusbar-item.png') });
  await page.locator('#jp-main-statusbar').screenshot({ path: join(SCREENSHOTS, 'statusbar.png') });
});

test('a notebook cell allocating 500 MiB raises the memory shown by about that much', async ({ page, lab }) => {
  const allocation = 500 * MiB;
  // Filled with ones, so every page is touched and charged to the cgroup.
  await createNotebook(lab, 'allocate.ipynb', `x = b"\\x01" * ${allocation}\nprint("allocated", len(x))`);
  try {
    await openNotebook(page, lab, 'allocate.ipynb');
    const before = await waitForFigures(page);
    await runFirstCell(page);
    await expect(page.locator('.jp-OutputArea-output')).toContainText(`allocated ${allocation}`, {
      timeout: 60000
    });
    await expect
      .poll(async () => (await shownFigures(page)).memoryUsed - before.memoryUsed, { timeout: 30000 })
      .toBeGreaterThan(0.8 * allocation);
    const after = await shownFigures(page);
    console.log(`memory shown before ${before.memoryUsed}, after ${after.memoryUsed}`);
    expect(after.memoryUsed - before.memoryUsed).toBeLessThan(1.3 * allocation);
  } finally {
    await shutdownKernels(lab);
  }
});

test('clicking the item opens the details view, fed live over the WebSocket through the proxy', async ({
  page,
  lab
}) => {
  const streamed: string[] = [];
  page.on('websocket', socket => {
    if (socket.url().includes('/cgroup-usage/api/v1/stream')) {
      socket.on('framereceived', frame => streamed.push(String(frame.payload)));
    }
  });
  await openLab(page, lab);
  await waitForFigures(page);
  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details).toBeVisible();
  await expect(details.locator('.jp-CgroupUsage-feed')).toHaveText('Live: updated as the sidecar samples');
  await expect.poll(() => streamed.length).toBeGreaterThan(1);
  expect((JSON.parse(streamed[0]) as { version: number }).version).toBe(1);
  await expect(details.locator('.jp-CgroupUsage-chart[data-chart="cpu"]')).toBeVisible();
  await expect(details.locator('.jp-CgroupUsage-chart[data-chart="memory"]')).toBeVisible();
  await expect(details.locator('.jp-CgroupUsage-row[data-row="memoryLimit"]')).toContainText(/\d/);
  // A few live samples make the charts worth a look.
  await expect.poll(() => streamed.length, { timeout: 30000 }).toBeGreaterThan(5);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await details.screenshot({ path: join(SCREENSHOTS, 'details.png') });
});
