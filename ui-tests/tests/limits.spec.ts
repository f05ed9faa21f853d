/**
 * JupyterLab started inside a child cgroup with a 1 GiB memory limit and a 0.5-CPU quota:
 * the status bar shows exactly those limits, and a cell that exceeds the memory limit is
 * OOM-killed by the kernel and the notification tells the user, unless an administrator
 * disabled the oom-notifier plugin.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChildCgroups, oomKillCount } from '../../test/helpers/cgroup';
import { expect, openLab, test } from '../helpers/fixtures';
import { FAST_REFRESH, OOM_NOTIFIER_PLUGIN_ID, startLab, startLimitedLab, type Lab } from '../helpers/lab';
import {
  createNotebook,
  EXCEED_1_GIB,
  OOM_NOTIFICATION,
  openNotebook,
  runFirstCell,
  runIntoOomKill
} from '../helpers/notebook';
import { SCREENSHOTS } from '../../test/helpers/paths';
import { expectCgroupLimitsShown, statusItem, waitForFigures } from '../helpers/statusbar';

const GiB = 2 ** 30;
const LIMITS = { memoryBytes: GiB, memoryText: '1.0 GiB', cpus: 0.5 };

let cgroups: ChildCgroups | null = null;
let lab: Lab | null = null;
let refused: string | null = null;

test.beforeAll(async () => {
  ({ lab, cgroups, refused } = await startLimitedLab(
    { name: 'limits', userSettings: FAST_REFRESH },
    { memoryBytes: LIMITS.memoryBytes, cpuQuotaUs: LIMITS.cpus * 100000 }
  ));
});

test.afterAll(async () => {
  await lab?.stop();
  await cgroups?.remove();
});

test('shows exactly the 1 GiB memory limit and the 0.5-CPU quota', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await openLab(page, lab!);
  await expectCgroupLimitsShown(page, LIMITS);

  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('#jp-main-statusbar').screenshot({ path: join(SCREENSHOTS, 'statusbar-limited.png') });

  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="memoryLimit"]')).toContainText('1.0 GiB');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="cpuLimit"]')).toContainText('0.5');
});

test('a cell exceeding the limit is OOM-killed and the notification appears', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await createNotebook(lab!, 'exceed.ipynb', EXCEED_1_GIB);
  await openNotebook(page, lab!, 'exceed.ipynb');
  await waitForFigures(page);
  await runIntoOomKill(page, cgroups!.dirs);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'oom-notification.png') });

  // The details view tells the same story: the kill counted, the climb to the limit charted.
  await page.getByRole('button', { name: 'Ok', exact: true }).click(); // JupyterLab's "Kernel Restarting" dialog
  await statusItem(page).click();
  const details = page.locator('.jp-CgroupUsage-details');
  await expect(details.locator('.jp-CgroupUsage-row[data-row="oomKills"]')).toContainText(
    String(oomKillCount(cgroups!.dirs))
  );
  await details.screenshot({ path: join(SCREENSHOTS, 'details-oom.png') });
});

test('with the oom-notifier plugin disabled the kill is counted but no notification comes', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  // A lab of its own: `jupyter labextension disable` writes its own JUPYTER_CONFIG_DIR.
  const own = new ChildCgroups(`cgroup-usage-e2e-${process.pid}-no-oom-notifier`, { memoryBytes: GiB });
  const quiet = await startLab({
    name: 'no-oom-notifier',
    cgroupDirs: own.dirs,
    userSettings: FAST_REFRESH,
    disabledPlugins: [OOM_NOTIFIER_PLUGIN_ID]
  });
  try {
    const killsBefore = oomKillCount(own.dirs);
    await createNotebook(quiet, 'exceed.ipynb', EXCEED_1_GIB);
    await openNotebook(page, quiet, 'exceed.ipynb');
    await waitForFigures(page);
    await runFirstCell(page);
    await expect.poll(() => oomKillCount(own.dirs), { timeout: 60000 }).toBeGreaterThan(killsBefore);
    await page.getByRole('button', { name: 'Ok', exact: true }).click(); // JupyterLab's "Kernel Restarting" dialog

    // The status item and its details view still work, and the model saw the kill...
    await statusItem(page).click();
    const details = page.locator('.jp-CgroupUsage-details');
    await expect(details.locator('.jp-CgroupUsage-row[data-row="oomKills"]')).toContainText(
      String(oomKillCount(own.dirs))
    );
    // ...which the notifier would have turned into a toast by the next rendered frames.
    await page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await expect(page.locator(OOM_NOTIFICATION)).toHaveCount(0);
  } finally {
    await quiet.stop();
    await own.remove();
  }
});
