/**
 * The kernel panel: its rows (pure), its model (asks only while watched) and the widget.
 */
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { KernelPanel } from '../../src/kernelPanel';
import { type ISessionInfo, kernelRows } from '../../src/kernelRows';
import { KernelUsageModel } from '../../src/kernelUsage';
import { CgroupUsageModel } from '../../src/model';
import type { KernelPssResponse, KernelsResponse, KernelUsage } from '../../src/sample';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { DetailsView } from '../../src/detailsView';
import { type IKernelTransport, OPEN_KERNEL_USAGE_COMMAND } from '../../src/tokens';
import { FakeTransport, settle } from './fakeTransport';
import { MiB } from './samples';

const RATE = DEFAULT_SETTINGS.refreshRate;

function kernel(id: string, rss: number, cpu: number | null = 0.5, processes = 1): KernelUsage {
  return { id, pid: 1000, command: 'python3', rss, cpu, processes };
}

function answer(kernels: KernelUsage[], errors: string[] = []): KernelsResponse {
  return { version: 1, timestamp: 1764160000000, serverPid: 1, scanMs: 1.5, kernels, errors };
}

const SESSIONS: ISessionInfo[] = [
  { kernelId: 'small', path: 'work/small.ipynb', type: 'notebook', kernelName: 'python3' },
  { kernelId: 'big', path: 'big.ipynb', type: 'notebook', kernelName: 'python3' },
  { kernelId: 'big', path: 'console-1', type: 'console', kernelName: 'python3' },
  { kernelId: 'starting', path: 'new.ipynb', type: 'notebook', kernelName: 'ir' }
];

class FakeKernelTransport implements IKernelTransport {
  requests = 0;
  pssRequests: string[] = [];
  next: () => KernelsResponse | Error = () => answer([kernel('small', 50 * MiB), kernel('big', 350 * MiB, 1.25, 3)]);
  pss: (id: string) => Promise<KernelPssResponse> = id =>
    Promise.resolve({
      version: 1,
      id,
      pss: 200 * MiB,
      rss: 350 * MiB,
      processes: 3,
      unreadable: 0,
      durationMs: 12.4,
      errors: []
    });

  fetchKernels(): Promise<KernelsResponse> {
    this.requests++;
    const next = this.next();
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }

  measurePss(id: string): Promise<KernelPssResponse> {
    this.pssRequests.push(id);
    return this.pss(id);
  }
}

describe('kernel rows', () => {
  it('names kernels after their sessions, largest memory first, then n/a rows with the reason', () => {
    const rows = kernelRows(
      answer([kernel('small', 50 * MiB), kernel('big', 350 * MiB, 1.25, 3), kernel('lone', MiB, null)]),
      SESSIONS
    );
    expect(rows.map(row => [row.id, row.title, row.memory, row.cpu, row.processes])).toEqual([
      ['big', 'big.ipynb, console-1', '350 MiB', '1.3', '3'],
      ['small', 'small.ipynb', '50.0 MiB', '0.5', '1'],
      ['lone', 'Kernel lone', '1.0 MiB', 'measuring…', '1'],
      ['starting', 'new.ipynb', 'n/a', 'n/a', 'n/a']
    ]);
    expect(rows[0].detail).toBe('notebook big.ipynb (python3); console console-1 (python3)');
    expect(rows[3].reason).toBe('its process was not found below the Jupyter server (starting, or exited)');
    expect(rows[3].rss).toBeNull();
  });

  it("gives the sidecar's errors, or the request's failure, as the n/a reason", () => {
    const hidden = kernelRows(
      answer([], ['3 processes could not be read (pid 7: stat unreadable (EACCES))']),
      SESSIONS
    );
    expect(hidden.every(row => row.reason?.includes('EACCES'))).toBe(true);
    const failed = kernelRows(answer([kernel('big', MiB)]), SESSIONS, new Map(), 'the sidecar did not answer');
    expect(failed.map(row => [row.id, row.reason])).toEqual([
      ['small', 'the sidecar did not answer'],
      ['big', 'the sidecar did not answer'],
      ['starting', 'the sidecar did not answer']
    ]);
  });

  it('shows the PSS state of a row', () => {
    const pss = new Map([
      [
        'big',
        {
          state: 'measured' as const,
          answer: {
            version: 1 as const,
            id: 'big',
            pss: 200 * MiB,
            rss: 350 * MiB,
            processes: 3,
            unreadable: 1,
            durationMs: 12.4,
            errors: []
          }
        }
      ],
      ['small', { state: 'measuring' as const }]
    ]);
    const rows = kernelRows(answer([kernel('small', 50 * MiB), kernel('big', 350 * MiB)]), SESSIONS, pss);
    expect(rows[0].pss).toBe('200 MiB PSS (in 12 ms, 1 of 3 processes unreadable)');
    expect(rows[1].pss).toBe('measuring…');
    expect(rows[1].measuring).toBe(true);
  });
});

describe('kernel panel', () => {
  let transport: FakeKernelTransport;
  let usage: CgroupUsageModel;
  let model: KernelUsageModel;
  let panel: KernelPanel;

  beforeEach(() => {
    jest.useFakeTimers();
    transport = new FakeKernelTransport();
    usage = new CgroupUsageModel({ transport: new FakeTransport() });
    model = new KernelUsageModel({ transport, usage, sessions: () => SESSIONS });
    panel = new KernelPanel(model);
  });

  afterEach(() => {
    panel.dispose();
    model.dispose();
    usage.dispose();
    jest.useRealTimers();
  });

  const rows = () => Array.from(panel.node.querySelectorAll<HTMLElement>('.jp-CgroupUsage-kernelRow'));
  const cell = (row: HTMLElement, name: string) => row.querySelector(`[data-cell="${name}"]`)?.textContent;

  it('asks nothing while hidden, at the refresh rate while shown, nothing once hidden again', async () => {
    Widget.attach(panel, document.body);
    panel.hide();
    await jest.advanceTimersByTimeAsync(RATE * 5);
    expect(transport.requests).toBe(0);

    panel.show();
    await jest.advanceTimersByTimeAsync(0);
    expect(transport.requests).toBe(1);
    MessageLoop.flush();
    expect(rows().map(row => row.dataset.kernel)).toEqual(['big', 'small', 'starting']);
    expect(rows()[0].dataset.rss).toBe(String(350 * MiB));
    expect(cell(rows()[0], 'memory')).toBe('350 MiB');
    expect(cell(rows()[2], 'title')).toContain('n/a: its process was not found');
    expect(rows()[2].dataset.rss).toBeUndefined();
    await jest.advanceTimersByTimeAsync(RATE * 3);
    expect(transport.requests).toBe(4);

    panel.hide();
    await jest.advanceTimersByTimeAsync(RATE * 5);
    expect(transport.requests).toBe(4);
    Widget.detach(panel);
  });

  it('measures PSS on click, once at a time, and shows it', async () => {
    let finish: (value: KernelPssResponse) => void = () => undefined;
    transport.pss = () => new Promise(resolve => (finish = resolve));
    Widget.attach(panel, document.body);
    await jest.advanceTimersByTimeAsync(0);
    MessageLoop.flush();
    const button = () => rows()[0].querySelector<HTMLButtonElement>('.jp-CgroupUsage-measurePss')!;
    button().click();
    button().click();
    MessageLoop.flush();
    expect(transport.pssRequests).toEqual(['big']);
    expect(button().disabled).toBe(true);
    finish({
      version: 1,
      id: 'big',
      pss: 120 * MiB,
      rss: 350 * MiB,
      processes: 3,
      unreadable: 0,
      durationMs: 80,
      errors: []
    });
    await settle();
    MessageLoop.flush();
    expect(cell(rows()[0], 'pss')).toBe('120 MiB PSS (in 80 ms)');
    expect(button().disabled).toBe(false);
    Widget.detach(panel);
  });

  it('shows a failed request as the reason on every row, and recovers', async () => {
    transport.next = () => new Error('the cgroup-usage sidecar did not answer through jupyter-server-proxy (HTTP 502)');
    Widget.attach(panel, document.body);
    await jest.advanceTimersByTimeAsync(0);
    MessageLoop.flush();
    expect(panel.node.dataset.state).toBe('failed');
    expect(cell(rows()[0], 'title')).toContain('HTTP 502');
    expect(panel.node.querySelector('.jp-CgroupUsage-kernelErrors')?.textContent).toContain('HTTP 502');
    transport.next = () => answer([kernel('small', MiB)]);
    await jest.advanceTimersByTimeAsync(RATE * 4);
    MessageLoop.flush();
    expect(panel.node.dataset.state).toBe('live');
    expect(rows()[0].dataset.kernel).toBe('small');
    Widget.detach(panel);
  });

  it('asks nothing at all when the administrator disabled the extension', async () => {
    usage.settings = { ...DEFAULT_SETTINGS, enabled: false };
    Widget.attach(panel, document.body);
    await jest.advanceTimersByTimeAsync(RATE * 3);
    MessageLoop.flush();
    expect(transport.requests).toBe(0);
    expect(panel.node.dataset.state).toBe('disabled');
    Widget.detach(panel);
  });
});

describe("the details view's way to the panel", () => {
  let usage: CgroupUsageModel;
  beforeEach(async () => {
    jest.useFakeTimers();
    usage = new CgroupUsageModel({ transport: new FakeTransport() });
    await settle();
  });
  afterEach(() => {
    usage.dispose();
    jest.useRealTimers();
  });

  it('is a button running the command, shown only where the kernel panel registered it', () => {
    const commands = new CommandRegistry();
    const without = new DetailsView(usage, commands);
    MessageLoop.flush();
    expect(without.node.querySelector('.jp-CgroupUsage-openKernels')).toBeNull();
    without.dispose();

    const execute = jest.fn();
    commands.addCommand(OPEN_KERNEL_USAGE_COMMAND, { execute });
    const view = new DetailsView(usage, commands);
    MessageLoop.flush();
    view.node.querySelector<HTMLButtonElement>('.jp-CgroupUsage-openKernels')!.click();
    expect(execute).toHaveBeenCalledTimes(1);
    view.dispose();
  });
});
