/**
 * The OOM notification: its wording and when it is shown.
 */
import { Notification } from '@jupyterlab/apputils';
import { CgroupUsageModel } from '../../src/model';
import { notifyOomKills, oomKillMessage } from '../../src/oomNotifier';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { FakeTransport } from './fakeTransport';
import { GiB, makeSample } from './samples';

describe('OOM notification', () => {
  afterEach(() => {
    Notification.dismiss();
    jest.useRealTimers();
  });

  it('words the message with the formatted limit', () => {
    expect(oomKillMessage({ kills: 1, total: 1, limit: 4 * GiB })).toBe(
      'A process in this session was killed for exceeding the memory limit (4.0 GiB)'
    );
    expect(oomKillMessage({ kills: 3, total: 5, limit: 512 * 1024 ** 2 })).toBe(
      '3 processes in this session were killed for exceeding the memory limit (512 MiB)'
    );
  });

  it('notifies when the counter increases, not for kills before the first sample', async () => {
    jest.useFakeTimers();
    const transport = new FakeTransport();
    const counts = [3, 3, 4];
    transport.answer = () =>
      makeSample({ timestamp: transport.metricsRequests * 1000, memory: { oomKills: counts.shift() ?? 4 } });
    const model = new CgroupUsageModel({ transport });
    const notifier = notifyOomKills(model);
    const before = Notification.manager.count;
    await jest.advanceTimersByTimeAsync(DEFAULT_SETTINGS.refreshRate);
    expect(Notification.manager.count).toBe(before);
    await jest.advanceTimersByTimeAsync(DEFAULT_SETTINGS.refreshRate);
    expect(Notification.manager.count).toBe(before + 1);
    const latest = Notification.manager.notifications[0];
    expect(latest.message).toBe('A process in this session was killed for exceeding the memory limit (4.0 GiB)');
    expect(latest.type).toBe('warning');
    expect(latest.options.autoClose).toBe(false);
    notifier.dispose();
    model.dispose();
  });
});
