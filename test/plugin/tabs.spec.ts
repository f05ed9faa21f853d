/**
 * Several tabs of one browser, each a model with its own transport, sharing one leader lock and
 * one channel: on jest's fake clock, with a lock manager and a channel that behave as the
 * browser's (Web Locks: one holder per name, a queue, withdrawal by AbortSignal;
 * BroadcastChannel: asynchronous delivery to every other member of the same name).
 */
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { type ILockManager, type IVisibility, LeaderElection } from '../../src/leader';
import { CgroupUsageModel } from '../../src/model';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { type ITabChannel, readTabMessage, shareName, type TabMessage } from '../../src/tabChannel';
import { FakeTransport } from './fakeTransport';
import { makeSample } from './samples';

const RATE = DEFAULT_SETTINGS.refreshRate;
const NAME = shareName('/user/ada/');

class FakeLocks implements ILockManager {
  requests = 0;
  private readonly _held = new Set<string>();
  private readonly _queues = new Map<string, (() => void)[]>();

  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    this.requests++;
    return new Promise((resolve, reject) => {
      const queue = this._queues.get(name) ?? [];
      this._queues.set(name, queue);
      const grant = () => {
        this._held.add(name);
        void Promise.resolve()
          .then(callback)
          .then(resolve, reject)
          .finally(() => {
            this._held.delete(name);
            this._next(name);
          });
      };
      options.signal.addEventListener('abort', () => {
        const index = queue.indexOf(grant);
        if (index >= 0) {
          queue.splice(index, 1);
          reject(new DOMException('withdrawn', 'AbortError'));
        }
      });
      queue.push(grant);
      this._next(name);
    });
  }

  private _next(name: string): void {
    if (!this._held.has(name)) {
      this._queues.get(name)?.shift()?.();
    }
  }
}

class FakeVisibility implements IVisibility {
  hidden = false;
  private readonly _listeners = new Set<() => void>();
  onChange(listener: () => void): IDisposable {
    this._listeners.add(listener);
    return new DisposableDelegate(() => this._listeners.delete(listener));
  }
  set(hidden: boolean): void {
    this.hidden = hidden;
    this._listeners.forEach(listener => listener());
  }
}

/** BroadcastChannels of one origin: a message reaches every other open channel of its name, later. */
class FakeChannels {
  posted: TabMessage[] = [];
  private readonly _members = new Set<{ name: string; channel: ITabChannel }>();
  open(name: string): ITabChannel {
    const member = {
      name,
      channel: {
        onmessage: null,
        postMessage: (message: TabMessage) => {
          this.posted.push(message);
          for (const other of this._members) {
            if (other !== member && other.name === name) {
              // Structured clone, as the browser delivers it.
              const data = JSON.parse(JSON.stringify(message)) as unknown;
              void Promise.resolve().then(() => other.channel.onmessage?.({ data } as MessageEvent));
            }
          }
        },
        close: () => this._members.delete(member)
      } as ITabChannel
    };
    this._members.add(member);
    return member.channel;
  }
}

interface ITab {
  model: CgroupUsageModel;
  transport: FakeTransport;
  visibility: FakeVisibility;
}

describe('tabs sharing one stream', () => {
  let locks: FakeLocks;
  let channels: FakeChannels;
  let tabs: ITab[];
  let clock: number;

  function openTab(name = NAME): ITab {
    const transport = new FakeTransport();
    transport.answer = () => makeSample({ timestamp: Date.now() });
    const visibility = new FakeVisibility();
    const election = new LeaderElection({ name, locks, visibility });
    const model = new CgroupUsageModel({ transport, election, channel: channels.open(name) });
    const tab = { model, transport, visibility };
    tabs.push(tab);
    return tab;
  }

  const leaders = () => tabs.filter(tab => !tab.model.isDisposed && tab.model.isLeader);
  const metricsRequests = () => tabs.reduce((sum, tab) => sum + tab.transport.metricsRequests, 0);
  const openStreams = () => tabs.flatMap(tab => tab.transport.openStreams);

  /** Lets `ms` pass with the leader's stream delivering a sample per refresh interval. */
  async function streamFor(ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += RATE) {
      await jest.advanceTimersByTimeAsync(RATE);
      clock += RATE;
      for (const stream of openStreams()) {
        stream.push(makeSample({ timestamp: clock }));
      }
      await jest.advanceTimersByTimeAsync(0);
    }
  }

  beforeEach(() => {
    jest.useFakeTimers();
    locks = new FakeLocks();
    channels = new FakeChannels();
    tabs = [];
    clock = Date.now();
  });

  afterEach(() => {
    tabs.forEach(tab => tab.model.dispose());
    jest.useRealTimers();
  });

  it('elects one leader among three tabs, which alone opens a stream, at the refresh rate', async () => {
    openTab();
    openTab();
    openTab();
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([tabs[0]]);
    expect(openStreams().map(stream => stream.intervalMs)).toEqual([RATE]);
    expect(tabs[0].transport.openStreams).toHaveLength(1);
  });

  it('hands the leader’s samples to the others, which then make no requests', async () => {
    openTab();
    openTab();
    openTab();
    await streamFor(RATE);
    const afterStart = metricsRequests();
    await streamFor(RATE * 20);
    expect(metricsRequests()).toBe(afterStart);
    for (const tab of tabs) {
      expect(tab.model.state).toBe('available');
      expect(tab.model.sample?.timestamp).toBe(clock);
      expect(tab.model.history.length).toBeGreaterThanOrEqual(20);
    }
    expect(tabs[1].transport.streams).toHaveLength(0);
    expect(tabs[2].transport.streams).toHaveLength(0);
  });

  it('without WebSockets: one poll per interval for all tabs, the leader’s shared', async () => {
    openTab();
    openTab();
    openTab();
    await jest.advanceTimersByTimeAsync(0);
    // The proxy refuses every upgrade: each stream closes before delivering.
    const refuse = () => openStreams().forEach(stream => stream.fail('the live stream failed'));
    refuse();
    await jest.advanceTimersByTimeAsync(RATE * 2);
    const before = metricsRequests();
    for (let i = 0; i < 24; i++) {
      refuse();
      await jest.advanceTimersByTimeAsync(RATE / 2);
    }
    // 12 intervals: the leader's 12 polls (give or take the one at either end), no follower's.
    expect(metricsRequests() - before).toBeGreaterThanOrEqual(11);
    expect(metricsRequests() - before).toBeLessThanOrEqual(13);
    // Not even at load: the leader's first answer reached them before their first poll.
    expect(tabs[1].transport.metricsRequests + tabs[2].transport.metricsRequests).toBe(0);
    for (const tab of tabs) {
      expect(tab.model.sample?.timestamp).toBe(tabs[0].model.sample?.timestamp);
    }
  });

  it('moves the lead when the leader closes: the next tab streams at once', async () => {
    const [first, second, third] = [openTab(), openTab(), openTab()];
    await streamFor(RATE * 2);
    first.model.dispose(); // a closed tab frees its lock
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([second]);
    expect(openStreams().map(stream => stream.intervalMs)).toEqual([RATE]);
    expect(second.transport.openStreams).toHaveLength(1);
    const before = metricsRequests();
    await streamFor(RATE * 3);
    expect(third.model.sample?.timestamp).toBe(clock);
    expect(metricsRequests()).toBe(before);
  });

  it('moves the lead when the leader hides, and does not take it back when shown again', async () => {
    const [first, second] = [openTab(), openTab()];
    await streamFor(RATE);
    first.visibility.set(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([second]);
    expect(first.transport.openStreams).toHaveLength(0);
    await streamFor(RATE * 2);
    // The hidden tab still hears the samples, and makes no request of its own.
    expect(first.model.sample?.timestamp).toBe(clock);
    first.visibility.set(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([second]);
  });

  it('stands every tab by while all are hidden: no stream, no request', async () => {
    openTab();
    openTab();
    await streamFor(RATE);
    tabs.forEach(tab => tab.visibility.set(true));
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([]);
    expect(openStreams()).toEqual([]);
    const before = metricsRequests();
    await jest.advanceTimersByTimeAsync(RATE * 20);
    expect(metricsRequests()).toBe(before);
  });

  it('shares why the sidecar is unavailable', async () => {
    const [first, second] = [openTab(), openTab()];
    await jest.advanceTimersByTimeAsync(0);
    first.transport.answer = () => new Error('no Node.js found');
    openStreams().forEach(stream => stream.fail('the live stream closed (code 1006)'));
    await jest.advanceTimersByTimeAsync(RATE);
    expect(first.model.state).toBe('unavailable');
    expect(second.model.state).toBe('unavailable');
    expect(second.model.reason).toBe('no Node.js found');
  });

  it('follows the refresh rate: a new rate reopens the leader’s stream with it', async () => {
    const [first] = [openTab(), openTab()];
    await jest.advanceTimersByTimeAsync(0);
    tabs.forEach(tab => (tab.model.settings = { ...DEFAULT_SETTINGS, refreshRate: 2000 }));
    expect(openStreams().map(stream => stream.intervalMs)).toEqual([2000]);
    expect(first.transport.streams.map(stream => [stream.intervalMs, stream.closed])).toEqual([
      [RATE, true],
      [2000, false]
    ]);
  });

  it('gives a details view every sample: the leader reopens its stream, another tab opens its own', async () => {
    const [first, second] = [openTab(), openTab()];
    await jest.advanceTimersByTimeAsync(0);
    const leaderWatch = first.model.watchLive();
    expect(first.transport.openStreams.map(stream => stream.intervalMs)).toEqual([undefined]);
    const followerWatch = second.model.watchLive();
    expect(second.transport.openStreams.map(stream => stream.intervalMs)).toEqual([undefined]);
    second.transport.openStreams[0].push(makeSample({ timestamp: clock + 1000 }));
    expect(second.model.live).toBe(true);
    followerWatch.dispose();
    leaderWatch.dispose();
    expect(openStreams().map(stream => stream.intervalMs)).toEqual([RATE]);
    expect(first.model.live).toBe(false);
  });

  it('keeps the tabs of two servers on one origin apart', async () => {
    const ada = openTab(shareName('/user/ada/'));
    const bob = openTab(shareName('/user/bob/'));
    await jest.advanceTimersByTimeAsync(0);
    expect(leaders()).toEqual([ada, bob]);
    ada.transport.openStreams[0].push(makeSample({ timestamp: clock + 1000, cpu: { used: 1.25 } }));
    await jest.advanceTimersByTimeAsync(0);
    expect(bob.model.sample?.cpu.used).not.toBe(1.25);
  });
});

describe('LeaderElection', () => {
  it('without Web Locks leads while visible', () => {
    const visibility = new FakeVisibility();
    const election = new LeaderElection({ name: NAME, locks: null, visibility });
    const seen: boolean[] = [];
    election.changed.connect((_, value) => seen.push(value));
    expect(election.isLeader).toBe(true);
    visibility.set(true);
    visibility.set(false);
    expect(seen).toEqual([false, true]);
    election.dispose();
    expect(election.isLeader).toBe(false);
  });

  it('withdraws from the queue while hidden and asks again when shown', async () => {
    jest.useFakeTimers();
    const locks = new FakeLocks();
    const [a, b] = [new FakeVisibility(), new FakeVisibility()];
    const first = new LeaderElection({ name: NAME, locks, visibility: a });
    const second = new LeaderElection({ name: NAME, locks, visibility: b });
    await jest.advanceTimersByTimeAsync(0);
    b.set(true); // withdrawn while queued
    first.dispose();
    await jest.advanceTimersByTimeAsync(0);
    expect(second.isLeader).toBe(false);
    b.set(false);
    await jest.advanceTimersByTimeAsync(0);
    expect(second.isLeader).toBe(true);
    expect(locks.requests).toBe(3);
    second.dispose();
    jest.useRealTimers();
  });
});

describe('readTabMessage', () => {
  it('reads samples and reasons and ignores anything else', () => {
    const sample = makeSample({ timestamp: 1 });
    expect(readTabMessage({ type: 'sample', sample })).toEqual({ type: 'sample', sample });
    expect(readTabMessage({ type: 'unavailable', reason: 'x' })).toEqual({ type: 'unavailable', reason: 'x' });
    for (const data of [null, 'sample', 42, {}, { type: 'sample', sample: { version: 2 } }, { type: 'unavailable' }]) {
      expect(readTabMessage(data)).toBeNull();
    }
  });
});
