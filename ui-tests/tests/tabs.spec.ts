/**
 * Three tabs (pages of one browser context) on one lab share one stream: one WebSocket through
 * the proxy, at the refresh rate, and no polls; when WebSockets are refused, one poll per
 * interval for all three; closing the leading tab hands the stream over within one interval.
 */
import type { BrowserContext, Page, WebSocket } from '@playwright/test';
import { expect, openLab, test } from '../helpers/fixtures';
import { type Lab, startLab } from '../helpers/lab';
import { statusItem } from '../helpers/statusbar';

/** Not the sidecar's 1 s: a stream without `?interval=` would show up as twice the messages. */
const REFRESH_MS = 2000;
const METRICS = /\/cgroup-usage\/api\/v1\/metrics(\?|$)/;
const STREAM = /\/cgroup-usage\/api\/v1\/stream(\?|$)/;

let lab: Lab;

test.beforeAll(async () => {
  lab = await startLab({ name: 'tabs', userSettings: { refreshRate: REFRESH_MS } });
});

test.afterAll(async () => {
  await lab?.stop();
});

interface Stream {
  page: Page;
  socket: WebSocket;
  url: string;
  frames: number;
  closed: boolean;
}

/** Every stream WebSocket and every metrics request the context's pages make from now on. */
function watchTraffic(context: BrowserContext): { streams: Stream[]; polls: number[] } {
  const traffic = { streams: [] as Stream[], polls: [] as number[] };
  const watch = (page: Page) => {
    page.on('websocket', socket => {
      if (STREAM.test(socket.url())) {
        const stream: Stream = { page, socket, url: socket.url(), frames: 0, closed: false };
        traffic.streams.push(stream);
        socket.on('framereceived', () => stream.frames++);
        socket.on('close', () => (stream.closed = true));
      }
    });
    // A closed page's sockets report no close event of their own.
    page.on('close', () => traffic.streams.forEach(stream => stream.page === page && (stream.closed = true)));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  context.on('request', request => {
    if (METRICS.test(request.url())) {
      traffic.polls.push(Date.now());
    }
  });
  return traffic;
}

/**
 * Listens on the plugin's own BroadcastChannel from inside `page` (a second channel object of
 * the same name hears every tab's messages) and records when each sample message arrived.
 */
async function hearChannel(page: Page): Promise<void> {
  await page.evaluate(name => {
    const heard: { at: number; timestamp: number }[] = [];
    (window as unknown as { heard: typeof heard }).heard = heard;
    new BroadcastChannel(name).onmessage = event => {
      const message = event.data as { type: string; sample?: { timestamp: number } };
      if (message.type === 'sample' && message.sample) {
        heard.push({ at: Date.now(), timestamp: message.sample.timestamp });
      }
    };
  }, `jupyterlab-cgroup-usage:plugin:${lab.url}`);
}

function heard(page: Page): Promise<{ at: number; timestamp: number }[]> {
  return page.evaluate(() => (window as unknown as { heard: { at: number; timestamp: number }[] }).heard);
}

async function openTabs(context: BrowserContext, count: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    await openLab(page, lab);
    await expect(statusItem(page)).toHaveAttribute('data-state', 'available');
    pages.push(page);
  }
  return pages;
}

test('three tabs: one stream at the refresh rate, no polls; closing the leader hands over within one interval', async ({
  context
}) => {
  const traffic = watchTraffic(context);
  const pages = await openTabs(context, 3);
  const open = () => traffic.streams.filter(stream => !stream.closed);
  await expect.poll(() => open().length).toBe(1);
  const [leading] = open();
  expect(leading.url).toContain(`interval=${REFRESH_MS}`);
  const followers = pages.filter(page => page !== leading.page);
  await hearChannel(followers[0]);

  // Ten intervals: the one stream delivers about one message per interval, nobody polls.
  const pollsBefore = traffic.polls.length;
  const framesBefore = leading.frames;
  const windowStart = Date.now();
  await expect.poll(() => leading.frames - framesBefore, { timeout: 40000 }).toBeGreaterThanOrEqual(10);
  const windowMs = Date.now() - windowStart;
  console.log(
    `${leading.frames - framesBefore} messages in ${windowMs} ms on ${traffic.streams.length} stream(s), ` +
      `${traffic.polls.length - pollsBefore} polls`
  );
  expect(traffic.polls.length - pollsBefore).toBe(0);
  expect(open()).toHaveLength(1);
  expect(traffic.streams).toHaveLength(1);
  // One message per 2 s interval; a stream of every sample would send twice as many.
  expect(windowMs).toBeGreaterThan(9 * REFRESH_MS);
  const samples = await heard(followers[0]);
  expect(samples.length).toBeGreaterThanOrEqual(9);
  for (const page of followers) {
    await expect(statusItem(page)).toHaveAttribute('data-state', 'available');
  }

  // The leader closes: its lock is freed, a follower opens the stream, and its first sample
  // (the sidecar's latest, sent on connect) reaches the channel within one interval.
  const heardBefore = samples.length;
  const closedAt = Date.now();
  await leading.page.close();
  await expect.poll(async () => (await heard(followers[0])).length, { timeout: 10000 }).toBeGreaterThan(heardBefore);
  const handedOver = (await heard(followers[0]))[heardBefore];
  console.log(`first sample from the new leader ${handedOver.at - closedAt} ms after the leader closed`);
  expect(handedOver.at - closedAt).toBeLessThanOrEqual(REFRESH_MS);
  expect(open()).toHaveLength(1);
  expect(followers).toContain(open()[0].page);
  await expect
    .poll(async () => (await heard(followers[0])).length, { timeout: 10000 })
    .toBeGreaterThan(heardBefore + 2);
  expect(traffic.polls.length - pollsBefore).toBe(0);
});

test('three tabs with WebSockets refused: one poll per interval for all of them, samples shared', async ({
  context
}) => {
  // As a proxy that does not pass upgrades: every stream is closed at once.
  await context.routeWebSocket(STREAM, socket => socket.close({ code: 1011, reason: 'refused by the test' }));
  const traffic = watchTraffic(context);
  const pages = await openTabs(context, 3);
  await hearChannel(pages[2]);
  // Settle: each tab may have polled once at load.
  await expect.poll(async () => (await heard(pages[2])).length, { timeout: 20000 }).toBeGreaterThanOrEqual(2);
  const pollsBefore = traffic.polls.length;
  const heardBefore = (await heard(pages[2])).length;
  const windowStart = Date.now();
  await expect
    .poll(async () => (await heard(pages[2])).length - heardBefore, { timeout: 40000 })
    .toBeGreaterThanOrEqual(8);
  const intervals = (Date.now() - windowStart) / REFRESH_MS;
  const polls = traffic.polls.length - pollsBefore;
  console.log(`${polls} polls by 3 tabs in ${intervals.toFixed(1)} intervals of ${REFRESH_MS} ms`);
  // One per interval, give or take one at either end (three tabs polling would be about 3 x intervals).
  expect(polls).toBeGreaterThanOrEqual(Math.floor(intervals) - 1);
  expect(polls).toBeLessThanOrEqual(Math.ceil(intervals) + 1);
  for (const page of pages) {
    await expect(statusItem(page)).toHaveAttribute('data-state', 'available');
  }
});
