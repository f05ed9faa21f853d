/**
 * CGROUP_USAGE_METRICS_PORT set: the sidecar runs from the Jupyter server's start, serves
 * /metrics (and nothing else) on that port before any browser asked for anything, and the
 * plugin's authenticated requests reach the same, single sidecar.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, openLab, test } from '../helpers/fixtures';
import { freePort } from '../../test/helpers/ports';
import { FAST_REFRESH, sidecarsOf, startLab, type Lab } from '../helpers/lab';
import { ARTIFACTS } from '../../test/helpers/paths';
import { waitForFigures } from '../helpers/statusbar';

let lab: Lab | null = null;
let scrapeUrl = '';

test.beforeAll(async () => {
  const port = await freePort();
  scrapeUrl = `http://127.0.0.1:${port}`;
  lab = await startLab({
    name: 'scrape',
    userSettings: FAST_REFRESH,
    env: { CGROUP_USAGE_METRICS_PORT: String(port) }
  });
});

test.afterAll(async () => {
  await lab?.stop();
});

/** GET /metrics on the scrape port until it answers 200 (the sidecar may still be starting). */
async function scrape(deadlineMs: number): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  let last = 'nothing yet';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${scrapeUrl}/metrics`);
      if (response.status === 200) {
        return await response.text();
      }
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`no /metrics on ${scrapeUrl} within ${deadlineMs} ms: ${last}`);
}

test('serves /metrics on the port before any browser request, only /metrics, from one sidecar', async ({ page }) => {
  const text = await scrape(30_000);
  expect(text).toMatch(/^cgroup_usage_memory_working_set_bytes(\{[^}]*\})? \d+$/m);
  for (const path of ['/', '/api/v1/metrics', '/api/v1/history', '/cgroup-usage/api/v1/metrics']) {
    expect((await fetch(`${scrapeUrl}${path}`)).status, path).toBe(404);
  }
  const before = sidecarsOf(lab!.pid);
  expect(before).toHaveLength(1);
  expect(before[0].args).toContain('--metrics-port');

  // The plugin's route still needs the token, and is answered by that same sidecar.
  const proxied = `${lab!.url}cgroup-usage/api/v1/metrics`;
  expect([302, 403]).toContain((await fetch(proxied, { redirect: 'manual' })).status);
  expect((await fetch(proxied, { headers: { Authorization: `token ${lab!.token}` } })).status).toBe(200);
  await openLab(page, lab!);
  const shown = await waitForFigures(page);
  expect(shown.memoryUsed).toBeGreaterThan(0);
  expect(sidecarsOf(lab!.pid).map(sidecar => sidecar.pid)).toEqual([before[0].pid]);
});

test('a malformed CGROUP_USAGE_METRICS_PORT is logged, and the session works as without it', async ({ page }) => {
  const bad = await startLab({
    name: 'scrape-bad-port',
    userSettings: FAST_REFRESH,
    env: { CGROUP_USAGE_METRICS_PORT: '94x64' }
  });
  try {
    // No sidecar at start-up: the proxy starts one on the plugin's first request, as usual.
    expect(sidecarsOf(bad.pid)).toHaveLength(0);
    await openLab(page, bad);
    expect((await waitForFigures(page)).memoryUsed).toBeGreaterThan(0);
    const sidecars = sidecarsOf(bad.pid);
    expect(sidecars).toHaveLength(1);
    expect(sidecars[0].args).not.toContain('--metrics-port');
    expect(readFileSync(join(ARTIFACTS, 'lab-scrape-bad-port.log'), 'utf8')).toContain(
      "cgroup-usage: CGROUP_USAGE_METRICS_PORT='94x64' is not a port number from 1 to 65535; /metrics is not served for scraping"
    );
  } finally {
    await bad.stop();
  }
});

test('the sidecar stops with the Jupyter server (SIGTERM to the server alone) and frees the port', async () => {
  const [sidecar] = sidecarsOf(lab!.pid);
  expect(sidecar).toBeDefined();
  process.kill(lab!.pid, 'SIGTERM');
  const gone = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  await expect.poll(() => gone(lab!.pid), { timeout: 30_000 }).toBe(true);
  await expect.poll(() => gone(sidecar.pid), { timeout: 10_000 }).toBe(true);
  await expect(fetch(`${scrapeUrl}/metrics`)).rejects.toThrow();
});
