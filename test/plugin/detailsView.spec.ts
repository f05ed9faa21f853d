/**
 * The details view opened from the status item.
 */
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { CgroupUsageModel } from '../../src/model';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { UsageStatusItem } from '../../src/statusItem';
import { FakeTransport, settle } from './fakeTransport';
import { makeSample } from './samples';

describe('details view', () => {
  let transport: FakeTransport;
  let model: CgroupUsageModel;
  let item: UsageStatusItem;

  beforeEach(async () => {
    jest.useFakeTimers();
    transport = new FakeTransport();
    transport.historySamples = [1, 2, 3].map(i => makeSample({ timestamp: 1764160000000 - i * 1000 }));
    model = new CgroupUsageModel({ transport });
    item = new UsageStatusItem(model);
    Widget.attach(item, document.body);
    await settle();
  });

  afterEach(() => {
    item.dispose();
    model.dispose();
    jest.useRealTimers();
  });

  const details = () => document.querySelector('.jp-CgroupUsage-details') as HTMLElement | null;
  const row = (name: string) => details()?.querySelector(`.jp-CgroupUsage-row[data-row="${name}"] td`)?.textContent;

  it('opens on click with charts, figures and the over-forking hint, and follows the stream', async () => {
    item.node.click();
    await settle();
    expect(item.detailsOpen).toBe(true);
    expect(details()).not.toBeNull();
    expect(transport.historyRequests).toEqual([model.historySeconds]);
    expect(transport.liveStreams).toHaveLength(1);

    const charts = Array.from(details()!.querySelectorAll<HTMLElement>('.jp-CgroupUsage-chart'));
    expect(charts.map(chart => chart.dataset.chart)).toEqual(['cpu', 'memory']);
    const cpuLine = charts[0].querySelector('path[data-series="used"]')!.getAttribute('d')!;
    // Three history samples and the polled one.
    expect(cpuLine.split(/[ML]/).filter(Boolean)).toHaveLength(4);
    expect(charts[1].querySelector('line.jp-CgroupUsage-chartLimit')).not.toBeNull();
    expect(row('cpuUsed')).toBe('0.73 of 2 cores (36.5%)');
    expect(details()!.querySelector('.jp-CgroupUsage-hint')?.textContent).toBe(
      'Programs see 16 CPUs but may use 2: over-forking risk'
    );

    transport.liveStreams[0].push(makeSample({ timestamp: Date.now() + 60000, cpu: { used: 1.5 } }));
    MessageLoop.flush();
    expect(row('cpuUsed')).toBe('1.50 of 2 cores (75.0%)');
    expect(details()!.querySelector('.jp-CgroupUsage-feed')?.textContent).toContain('Live');
  });

  it('has no hint when programs see the CPUs they may use', async () => {
    transport.answer = () => makeSample({ timestamp: Date.now(), cpu: { hostCpus: 2, limit: 2 } });
    model.refresh();
    await settle();
    item.toggleDetails();
    await settle();
    expect(details()!.querySelector('.jp-CgroupUsage-hint')).toBeNull();
  });

  it('closes on a second click and stops the stream', async () => {
    item.node.click();
    await settle();
    item.node.click();
    await settle();
    expect(item.detailsOpen).toBe(false);
    expect(details()).toBeNull();
    expect(transport.liveStreams[0].closed).toBe(true);
  });

  it('says why the stream is not live and keeps polling', async () => {
    item.toggleDetails();
    await settle();
    transport.liveStreams[0].fail('the live stream closed (code 1006)');
    await settle();
    expect(details()!.querySelector('.jp-CgroupUsage-feed')?.textContent).toBe(
      'Live stream unavailable (the live stream closed (code 1006)): updated every 5 s'
    );
  });

  it('shows the reason when the sidecar is unavailable', async () => {
    transport.answer = () =>
      new Error('the cgroup-usage sidecar did not answer through jupyter-server-proxy (HTTP 502)');
    model.refresh();
    item.toggleDetails();
    await settle();
    expect(details()!.dataset.state).toBe('unavailable');
    expect(details()!.textContent).toContain('HTTP 502');
  });

  it('closes when the plugin is disabled', async () => {
    item.toggleDetails();
    await settle();
    model.settings = { ...DEFAULT_SETTINGS, enabled: false };
    MessageLoop.flush();
    expect(details()).toBeNull();
  });
});
