/**
 * JupyterLab started inside a child cgroup with a 1 GiB memory limit and a 0.5-CPU quota:
 * the status bar shows exactly those limits, and a cell that exceeds the memory limit is
 * OOM-killed by the kernel and the notification tells the user.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupRefused, ChildCgroups } from '../../test/helpers/cgroup';
import { expect, openLab, test } from '../helpers/fixtures';
import { FAST_REFRESH, startLab, type Lab } from '../helpers/lab';
import { createNotebook, openNotebook, runFirstCell } from '../helpers/notebook';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { statusItem, waitForFigures } from '../helpers/statusbar';

const GiB = 2 ** 30;

let cgroups: ChildCgroups | null = null;
let lab: Lab | null = null;
let refused: string | null = null;

test.beforeAll(async () => {
  try {
    cgroups = new ChildCgroups(`cgroup-usage-e2e-${process.pid}-limits`, { memoryBytes: GiB, cpuQuotaUs: 50000 });
  } catch (error) {
    if (!(error instanceof CgroupRefused)) {
      throw error;
    }
    refused = error.message;
    console.log(`SKIP limits tests: the kernel refused a child cgroup: ${refused}`);
    return;
  }
  lab = await startLab({ name: 'limits', cgroupDirs: cgroups.dirs, userSettings: FAST_REFRESH });
});

test.afterAll(async () => {
  await lab?.stop();
  await cgroups?.remove();
});

test('shows exactly the 1 GiB memory limit and the 0.5-CPU quota', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await openLab(page, lab!);
  const shown = await waitForFigures(page);
  expect(shown.memoryLimit).toBe(GiB);
  expect(shown.cpuLimit).toBe(0.5);
  await expect(statusItem(page).locator('[data-kind="cpu"]')).toHaveText(/\/0\.5$/);
  await expect(statusItem(page).locator('[data-kind="memory"]')).toHaveText(/\/1\.0 GiB$/);
  await expect(statusItem(page)).toHaveAttribute('title', /limit set by the container's cgroup/);

  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('#jp-main-statusbar').screenshot({ path: join(SCREENSHOTS, 'statusbar-limited.png') });

  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="memoryLimit"]')).toContainText('1.0 GiB');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="cpuLimit"]')).toContainText('0.5');
});

/** The kernel's own count of OOM kills in the cgroup (v1 memory.oom_control, v2 memory.events). */
function oomKills(): number {
  for (const dir of cgroups!.dirs) {
    for (const file of ['memory.oom_control', 'memory.events']) {
      try {
        const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, file), 'utf8'));
        if (match) {
          return Number(match[1]);
        }
      } catch {
        // not this hierarchy
      }
    }
  }
  throw new Error('no oom_kill counter in the cgroup');
}

test('a cell exceeding the limit is OOM-killed and the notification appears', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  const killsBefore = oomKills();
  await createNotebook(lab!, 'exceed.ipynb', `x = b"\\x01" * ${Math.round(1.5 * GiB)}\nprint("survived")`);
  await openNotebook(page, lab!, 'exceed.ipynb');
  await waitForFigures(page);
  await runFirstCell(page);
  const notification = page.locator('.jp-Notification-Toast-warning, .Toastify__toast').filter({
    hasText: 'killed for exceeding the memory limit (1.0 GiB)'
  });
  await expect(notification).toBeVisible({ timeout: 60000 });
  expect(oomKills()).toBeGreaterThan(killsBefore);
  await expect(page.locator('.jp-OutputArea-output', { hasText: 'survived' })).toHaveCount(0);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'oom-notification.png') });

  // The details view tells the same story: the kill counted, the climb to the limit charted.
  await page.getByRole('button', { name: 'Ok' }).click(); // JupyterLab's "Kernel Restarting" dialog
  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="oomKills"]')).toContainText(String(oomKills()));
  await details.screenshot({ path: join(SCREENSHOTS, 'details-oom.png') });
});
