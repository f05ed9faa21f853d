/**
 * The early warning in a real JupyterLab started inside a child cgroup with a 1 GiB memory
 * limit, polling at the default 5 s: a cell growing memory steadily gets the warning before the kernel OOM-kills it,
 * and a cell reading a file larger than the limit (page cache, usage at the limit, a low
 * working set) gets none.
 */
import { CgroupRefused, ChildCgroups, oomKillCount } from '../../test/helpers/cgroup';
import { expect, test } from '../helpers/fixtures';
import { startLab, type Lab } from '../helpers/lab';
import { createNotebook, openNotebook, runFirstCell, shutdownKernels } from '../helpers/notebook';
import { shownFigures, waitForFigures } from '../helpers/statusbar';

const GiB = 2 ** 30;
const THRESHOLD = 0.9;
const EARLY_WARNING = '.jp-Notification-Toast-warning, .Toastify__toast';
const WARNING_TEXT = 'Memory will reach the limit (1.0 GiB)';
const OOM_TEXT = 'killed for exceeding the memory limit (1.0 GiB)';

/**
 * 400 MiB of data loaded at once (below the threshold), then 5 MiB/s until the kernel kills it:
 * about 20 s, four 5 s polls, between the 90 % threshold and the limit.
 */
const GROWER = [
  'import time',
  'chunks = [b"\\x02" * (400 * 2**20)]',
  'while True:',
  '    chunks.append(b"\\x01" * 2**20)',
  '    time.sleep(0.2)'
].join('\n');

/**
 * A 2 GiB file written and dropped from the page cache, read with cat for 40 s (longer than
 * the rule's 30 s trend window), then deleted, which frees its cache.
 */
const CACHE_READER = [
  'import os, subprocess, time',
  'path = "big.bin"',
  'block = b"\\x01" * 2**24',
  'with open(path, "wb") as f:',
  '    for _ in range(128):',
  '        f.write(block)',
  '    f.flush()',
  '    os.fsync(f.fileno())',
  '    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)',
  'end = time.time() + 40',
  'reads = 0',
  'while time.time() < end:',
  '    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)',
  '    reads += 1',
  'os.remove(path)',
  'print(f"read {reads} times", flush=True)'
].join('\n');

let cgroups: ChildCgroups | null = null;
let lab: Lab | null = null;
let refused: string | null = null;

test.beforeAll(async () => {
  try {
    cgroups = new ChildCgroups(`cgroup-usage-e2e-${process.pid}-early-warning`, { memoryBytes: GiB });
  } catch (error) {
    if (!(error instanceof CgroupRefused)) {
      throw error;
    }
    refused = error.message;
    console.log(`SKIP early-warning tests: the kernel refused a child cgroup: ${refused}`);
    return;
  }
  // The default 5 s refresh rate, and the status bar showing usage (page cache included) so
  // that the cache test can see it reach the threshold; the rule always goes by the working set.
  lab = await startLab({ name: 'early-warning', cgroupDirs: cgroups.dirs, userSettings: { memoryFigure: 'usage' } });
});

test.afterAll(async () => {
  await lab?.stop();
  await cgroups?.remove();
});

test('no warning for a cell that fills the page cache up to the limit', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  await createNotebook(lab!, 'cache.ipynb', CACHE_READER);
  await openNotebook(page, lab!, 'cache.ipynb');
  const limit = (await waitForFigures(page)).memoryLimit;
  await runFirstCell(page);
  // Usage (page cache included) reaches the threshold while cat reads...
  await expect
    .poll(async () => (await shownFigures(page)).memoryUsed / limit, { timeout: 90000 })
    .toBeGreaterThanOrEqual(THRESHOLD);
  const shown = await shownFigures(page);
  console.log(`usage shown while reading: ${shown.text}`);
  // ...and stays there until the cell deletes the file, which the status bar shows by falling back.
  await expect(page.locator('.jp-OutputArea-output', { hasText: /read \d+ times/ })).toBeVisible({
    timeout: 120000
  });
  await expect
    .poll(async () => (await shownFigures(page)).memoryUsed / limit, { timeout: 30000 })
    .toBeLessThan(THRESHOLD);
  // Every sample of the read has been through the rule by now: no warning came.
  await expect(page.locator(EARLY_WARNING).filter({ hasText: 'Memory will reach' })).toHaveCount(0);
  expect(oomKillCount(cgroups!.dirs)).toBe(0);
  await shutdownKernels(lab!);
});

test('a cell growing steadily gets the warning before the OOM kill', async ({ page }) => {
  test.skip(refused !== null, `the kernel refused a child cgroup: ${refused}`);
  const killsBefore = oomKillCount(cgroups!.dirs);
  await createNotebook(lab!, 'grow.ipynb', GROWER);
  await openNotebook(page, lab!, 'grow.ipynb', 'grow');
  await waitForFigures(page);
  const started = Date.now();
  await runFirstCell(page);

  const warning = page.locator(EARLY_WARNING).filter({ hasText: WARNING_TEXT });
  await expect(warning).toBeVisible({ timeout: 120000 });
  const warnedAt = Date.now();
  // Not killed yet: the kernel's counter has not moved, and no OOM notification is there.
  expect(oomKillCount(cgroups!.dirs)).toBe(killsBefore);
  await expect(page.locator(EARLY_WARNING).filter({ hasText: OOM_TEXT })).toHaveCount(0);
  const text = await warning.innerText();
  console.log(`warned ${(warnedAt - started) / 1000} s after the cell started: "${text}"`);
  expect(text).toMatch(/in about \d+ s/);
  expect(text).toContain('Save your work');

  await expect(page.locator(EARLY_WARNING).filter({ hasText: OOM_TEXT })).toBeVisible({ timeout: 60000 });
  const killedAt = Date.now();
  expect(oomKillCount(cgroups!.dirs)).toBeGreaterThan(killsBefore);
  console.log(`the OOM notification came ${(killedAt - warnedAt) / 1000} s after the warning`);
  // The episode ended in the kill: the warning is withdrawn, the OOM notification stays.
  await expect(warning).toHaveCount(0);
});
