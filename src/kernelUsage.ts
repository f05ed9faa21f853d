/**
 * The kernel panel's state: the sidecar's per-kernel figures, asked for at the refresh rate
 * only while someone watches (the panel is visible), never otherwise; and the PSS the user
 * asked for, kernel by kernel.
 */
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';
import { type IKernelRow, type ISessionInfo, kernelRows, type PssState } from './kernelRows';
import type { KernelsResponse } from './sample';
import type { ICgroupUsageModel, IKernelTransport } from './tokens';

/** Failed requests back off up to this wait. */
const MAX_BACKOFF_MS = 60_000;

export interface IKernelUsageOptions {
  transport: IKernelTransport;
  /** The container model: its settings say whether to ask at all, and how often. */
  usage: ICgroupUsageModel;
  /** JupyterLab's sessions now. */
  sessions: () => readonly ISessionInfo[];
}

export class KernelUsageModel implements IDisposable {
  constructor(options: IKernelUsageOptions) {
    this._transport = options.transport;
    this._usage = options.usage;
    this._sessions = options.sessions;
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: this._usage.settings.refreshRate, backoff: true, max: MAX_BACKOFF_MS },
      standby: 'when-hidden'
    });
    this._usage.changed.connect(this._followSettings, this);
  }

  readonly changed: ISignal<KernelUsageModel, void> = new Signal<KernelUsageModel, void>(this);

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** False when the administrator disabled the extension: nothing is asked. */
  get enabled(): boolean {
    return this._usage.settings.enabled;
  }

  /** The latest answer (null before the first). */
  get answer(): KernelsResponse | null {
    return this._answer;
  }

  /** Why the latest request failed (null when it did not). */
  get failure(): string | null {
    return this._failure;
  }

  get rows(): IKernelRow[] {
    return kernelRows(this._answer, this._sessions(), this._pss, this._failure);
  }

  /** Requests run while at least one watch is held; the first asks at once. */
  watch(): IDisposable {
    this._watchers++;
    if (this._watchers === 1) {
      void this._poll.start();
    }
    return new DisposableDelegate(() => {
      this._watchers--;
      if (this._watchers === 0 && !this._poll.isDisposed) {
        void this._poll.stop();
      }
    });
  }

  /** Measures one kernel's PSS in the sidecar (a slower reading, taken once per click). */
  async measurePss(id: string): Promise<void> {
    if (!this.enabled || this._pss.get(id)?.state === 'measuring') {
      return;
    }
    this._setPss(id, { state: 'measuring' });
    try {
      this._setPss(id, { state: 'measured', answer: await this._transport.measurePss(id) });
    } catch (error) {
      this._setPss(id, { state: 'failed', reason: (error as Error).message });
    }
  }

  /** The sessions changed: the rows' names may have. */
  sessionsChanged(): void {
    this._emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._usage.changed.disconnect(this._followSettings, this);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _tick(): Promise<void> {
    if (!this.enabled || this._watchers === 0) {
      return;
    }
    try {
      this._answer = await this._transport.fetchKernels();
      this._failure = null;
    } catch (error) {
      this._failure = (error as Error).message;
      this._emit();
      throw error;
    }
    this._emit();
  }

  private _setPss(id: string, state: PssState): void {
    this._pss.set(id, state);
    this._emit();
  }

  private _followSettings(): void {
    const interval = this._usage.settings.refreshRate;
    if (this._poll.frequency.interval !== interval) {
      this._poll.frequency = { ...this._poll.frequency, interval };
    }
  }

  private _emit(): void {
    if (!this.isDisposed) {
      (this.changed as Signal<KernelUsageModel, void>).emit();
    }
  }

  private readonly _transport: IKernelTransport;
  private readonly _usage: ICgroupUsageModel;
  private readonly _sessions: () => readonly ISessionInfo[];
  private readonly _poll: Poll;
  private readonly _pss = new Map<string, PssState>();
  private _answer: KernelsResponse | null = null;
  private _failure: string | null = null;
  private _watchers = 0;
}
