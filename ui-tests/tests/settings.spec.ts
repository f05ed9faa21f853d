/**
 * The `enabled` switch: turned off by the user in the Settings Editor, or by an administrator
 * in overrides.json, there is no item and not a single request to the sidecar.
 */
import type { Page } from '@playwright/test';
import { expect, openLab, openSettingsEditor, test } from '../helpers/fixtures';
import { FAST_REFRESH, PLUGIN_ID, startLab, type LabInfo } from '../helpers/lab';
import { statusItem, waitForFigures } from '../helpers/statusbar';

/** How long we watch for requests that should not happen: several refresh periods. */
const QUIET_WINDOW_MS = 5 * FAST_REFRESH.refreshRate;

/** Counts the page's requests and WebSocket messages to the sidecar from now on. */
function countSidecarTraffic(page: Page): { requests: string[]; frames: number; openSockets: number } {
  const traffic = { requests: [] as string[], frames: 0, openSockets: 0 };
  page.on('request', request => {
    if (request.url().includes('/cgroup-usage/')) {
      traffic.requests.push(request.url());
    }
  });
  page.on('websocket', socket => {
    if (socket.url().includes('/cgroup-usage/')) {
      traffic.openSockets++;
      socket.on('framereceived', () => traffic.frames++);
      socket.on('close', () => traffic.openSockets--);
    }
  });
  return traffic;
}

test('turning enabled off in the Settings Editor removes the item and stops all requests', async ({ page }) => {
  const lab = await startLab({ name: 'settings', userSettings: FAST_REFRESH });
  try {
    const traffic = countSidecarTraffic(page);
    await openLab(page, lab);
    await waitForFigures(page);
    expect(traffic.requests.length).toBeGreaterThan(0);

    await openSettingsEditor(page);
    const enabled = page.getByRole('checkbox', { name: 'Enabled', exact: true });
    await expect(enabled).toBeChecked();
    await enabled.uncheck();
    await expect(statusItem(page)).toBeHidden();

    // From here on: nothing. Watch for several refresh periods (there is no event to wait for).
    const requestsBefore = traffic.requests.length;
    const framesBefore = traffic.frames;
    await page.waitForTimeout(QUIET_WINDOW_MS);
    expect(traffic.requests.slice(requestsBefore)).toEqual([]);
    expect(traffic.frames).toBe(framesBefore);
    expect(traffic.openSockets).toBe(0);

    // The choice is saved as the user's setting...
    const saved = await fetch(`${lab.url}lab/api/settings/${PLUGIN_ID}`, {
      headers: { Authorization: `token ${lab.token}` }
    });
    expect(((await saved.json()) as { settings: { enabled: boolean } }).settings.enabled).toBe(false);

    // ...and turning it back on brings the figures back.
    await enabled.check();
    await expect(statusItem(page)).toBeVisible();
    await expect(statusItem(page)).toHaveAttribute('data-state', 'available');
    expect(traffic.requests.length).toBeGreaterThan(requestsBefore);
  } finally {
    await lab.stop();
  }
});

/** Opens the lab and checks that, for several refresh periods, there is no item and no traffic. */
async function expectNoItemAndNoTraffic(page: Page, lab: LabInfo): Promise<void> {
  const traffic = countSidecarTraffic(page);
  await openLab(page, lab);
  // The launcher opens once the application has restored: every plugin has started by then.
  await expect(page.locator('.jp-Launcher')).toBeVisible();
  await page.waitForTimeout(QUIET_WINDOW_MS);
  await expect(statusItem(page)).toBeHidden();
  expect(traffic.requests).toEqual([]);
  expect(traffic.openSockets).toBe(0);
}

test("an administrator's overrides.json default (enabled: false) is honoured", async ({ page }) => {
  const lab = await startLab({ name: 'overrides', overrides: { [PLUGIN_ID]: { enabled: false } } });
  try {
    await expectNoItemAndNoTraffic(page, lab);

    const settings = await fetch(`${lab.url}lab/api/settings/${PLUGIN_ID}`, {
      headers: { Authorization: `token ${lab.token}` }
    });
    // overrides.json changes the schema's default, which is what the user gets unless they choose.
    const body = (await settings.json()) as { schema: { properties: { enabled: { default: boolean } } } };
    expect(body.schema.properties.enabled.default).toBe(false);
  } finally {
    await lab.stop();
  }
});

test('`jupyter labextension disable` turns the plugin off: no item, no requests', async ({ page }) => {
  const lab = await startLab({ name: 'disabled', disabledPlugins: [PLUGIN_ID] });
  try {
    await expectNoItemAndNoTraffic(page, lab);
  } finally {
    await lab.stop();
  }
});
