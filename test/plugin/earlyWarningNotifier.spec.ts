/**
 * The early-warning notification: its wording, and the real model polling at the default 5 s
 * a transport that answers like the sidecar did while the recorded series happened.
 */
import { Notification } from '@jupyterlab/apputils';
import { CgroupUsageModel } from '../../src/model';
import { earlyWarningMessage, notifyEarlyWarnings } from '../../src/earlyWarningNotifier';
import type { Sample } from '../../src/sample';
import { DEFAULT_SETTINGS, type IUsageSettings } from '../../src/settings';
import { FakeTransport, settle } from './fakeTransport';
import { GiB, MiB } from './samples';
import { firstSampleAfterKill, loadSeries } from './series';

const warnings = () => Notification.manager.notifications.filter(n => n.message.startsWith('Memory will reach'));

/** The model polling a transport that answers, at each poll, the series' latest sample by then. */
function replaying(samples: readonly Sample[], settings: IUsageSettings = DEFAULT_SETTINGS) {
  jest.setSystemTime(samples[0].timestamp);
  const transport = new FakeTransport();
  transport.answer = () => samples.filter(s => s.timestamp <= Date.now()).pop() ?? samples[0];
  const model = new CgroupUsageModel({ transport, settings });
  const notifier = notifyEarlyWarnings(model);
  return { model, notifier };
}

describe('early-warning notification', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    Notification.dismiss();
    jest.useRealTimers();
  });

  it('says when, and which kernel grows where that is known', () => {
    const warning = {
      used: 0.93 * GiB,
      limit: GiB,
      bytesPerSecond: 4 * MiB,
      secondsToLimit: 17.6,
      timestamp: 0,
      growingKernel: null
    };
    expect(earlyWarningMessage(warning)).toBe(
      'Memory will reach the limit (1.0 GiB) in about 18 s. Save your work, or stop the cell that is allocating, before the kernel kills it.'
    );
    expect(earlyWarningMessage({ ...warning, secondsToLimit: 0.2, growingKernel: 'big.ipynb' })).toBe(
      'Memory will reach the limit (1.0 GiB) in about 1 s: kernel "big.ipynb" is growing. Save your work, or stop the cell that is allocating, before the kernel kills it.'
    );
    expect(earlyWarningMessage({ ...warning, secondsToLimit: 200 })).toContain('in about 3 min.');
  });

  it('warns once as the recorded grower climbs at the 5 s poll, and withdraws it after the kill', async () => {
    const { samples } = loadSeries('grower-slow');
    const kill = firstSampleAfterKill(samples)!;
    const { model, notifier } = replaying(samples);
    let shownAt: number | null = null;
    while (Date.now() < kill.timestamp && shownAt === null) {
      await settle(1000);
      if (warnings().length > 0) {
        shownAt = Date.now();
      }
    }
    expect(shownAt).not.toBeNull();
    const [warning] = warnings();
    expect(warning.type).toBe('warning');
    expect(warning.options.autoClose).toBe(false);
    expect(warning.message).toMatch(/^Memory will reach the limit \(512 MiB\) in about \d+ s\. Save your work/);
    console.log(
      `grower-slow at the 5 s poll: "${warning.message}", ${(kill.timestamp - shownAt!) / 1000} s before the kill was seen`
    );

    await settle(kill.timestamp - Date.now());
    expect(warnings()).toHaveLength(1);
    await settle(5000);
    expect(warnings()).toHaveLength(0);
    notifier.dispose();
    model.dispose();
  });

  it('stays silent with the setting off, and for the recorded page cache', async () => {
    const grower = loadSeries('grower-slow').samples;
    const off = replaying(grower, { ...DEFAULT_SETTINGS, earlyWarning: { enabled: false, horizonSeconds: 60 } });
    await settle(grower[grower.length - 1].timestamp - Date.now());
    expect(off.model.sample!.memory.oomKills).toBe(1);
    expect(warnings()).toHaveLength(0);
    off.notifier.dispose();
    off.model.dispose();

    const cache = loadSeries('page-cache').samples;
    const quiet = replaying(cache);
    await settle(cache[cache.length - 1].timestamp - Date.now());
    expect(Math.max(...quiet.model.history.map(s => s.memory.usage!))).toBeGreaterThan(0.9 * 512 * MiB);
    expect(warnings()).toHaveLength(0);
    quiet.notifier.dispose();
    quiet.model.dispose();
  });
});
