/**
 * The status bar of a real JupyterLab shows the container's CPU and memory, the same figures
 * the sidecar prints with --once, and follows a notebook that allocates memory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openLab, test } from '../helpers/fixtures';
import { createNotebook, openNotebook, runFirstCell, shutdownKernels } from '../helpers/notebook';
import { SCREENSHOTS } from '../helpers/paths';
import { onceInCgroupsOf } from '../helpers/sidecar';
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
