/**
 * The state of the plugin: the latest sample, a bounded history for the charts, whether the
 * sidecar is reachable (and if not, why), and OOM-kill events.
 *
 * Where the samples come from: the leading tab of this browser (leader.ts) follows the
 * sidecar's WebSocket stream at the refresh rate and hands each sample to the other tabs over
 * a BroadcastChannel (tabChannel.ts). A details view asks for every sample instead: the leader
 * reopens its stream at the sidecar's own rate, another tab opens a stream of its own. Polling
 * with @lumino/polling (standby in hidden tabs, backoff on errors) fills in whenever neither the
 * stream nor the leader has delivered for two refresh intervals, e.g. behind a proxy that
 * refuses WebSockets; then the leader shares its poll's answers, so K tabs still make one
 * request per interval. A stream that closes (the sidecar restarted, a proxy dropped it) is
 * reopened after a successful poll, backing off while it keeps failing.
 */
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';
import { type IPoll, Poll } from '@lumino/polling';
import { type ISignal, Signal } from '@lumino/signaling';
import { mergeHistory } from './history';
import type { LeaderElection } from './leader';
import { oomKillsBetween } from './oom';
import type { Sample } from './sample';
import { DEFAULT_SETTINGS, type IUsageSettings } from './settings';
import { type ITabChannel, readTabMessage, type TabMessage } from './tabChannel';
import { type ICgroupUsageModel, type IStream, type ITransport, PLUGIN_ID } from './tokens';

/**
 * - disabled: the administrator's toggle is off; nothing is requested.
 * - loading: enabled, no answer yet.
 * - available: the latest poll or stream message was a sample.
 * - unavailable: the latest request failed; `reason` says why.
 */
export type UsageState = 'disabled' | 'loading' | 'available' | 'unavailable';

/** An increase of the OOM-kill counter between two samples. */
export interface IOomKillEvent {
  /** Kills since the previous sample. */
  kills: number;
  /** The cumulative count the cgroup reports now. */
  total: number;
  /** The memory limit that was exceeded, bytes. */
  limit: number | null;
}

/** How far the poll backs off while the sidecar does not answer. */
export const MAX_BACKOFF_MS = 60000;
/** How much history the charts show. */
export const DEFAULT_HISTORY_SECONDS = 300;
/** Enough for DEFAULT_HISTORY_SECONDS at the sidecar's fastest useful rate (2 samples/s). */
const MAX_HISTORY_LENGTH = 600;
/** The wait before reopening a closed stream, doubled for each stream in a row that delivered nothing. */
const STREAM_RETRY_MS = 1000;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class CgroupUsageModel implements ICgroupUsageModel, IDisposable {
  constructor(options: CgroupUsageModel.IOptions) {
    this._transport = options.transport;
    this._historyMs = (options.historySeconds ?? DEFAULT_HISTORY_SECONDS) * 1000;
    this._settings = options.settings ?? DEFAULT_SETTINGS;
    this._election = options.election ?? null;
    this._channel = options.channel ?? null;
    this._poll = new Poll({
      auto: false,
      factory: () => this._pollOnce(),
      frequency: CgroupUsageModel.pollFrequency(this._settings.refreshRate),
      name: `${PLUGIN_ID}:metrics`,
      // While the stream or the leader delivers, polling would only fetch the same samples again.
      standby: () =>
        CgroupUsageModel.isFed(this._fedAt, Date.now(), this._settings.refreshRate) ||
        (this._election?.hidden ?? 'when-hidden')
    });
    this._state = this._settings.enabled ? 'loading' : 'disabled';
    this._election?.changed.connect(() => this._syncStream(true), this);
    if (this._channel) {
      this._channel.onmessage = event => this._hear(event.data);
    }
    if (this._settings.enabled) {
      void this._poll.start();
      this._syncStream(true);
    }
  }

  /** True while this tab leads the others (always, without an election). */
  get isLeader(): boolean {
    return this._election?.isLeader ?? true;
  }

  /** Emitted whenever anything shown may have changed (sample, state, settings). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the OOM-kill counter increases between two samples. */
  get oomKilled(): ISignal<this, IOomKillEvent> {
    return this._oomKilled;
  }

  get state(): UsageState {
    return this._state;
  }

  /** Why the sidecar is unavailable (empty otherwise). */
  get reason(): string {
    return this._reason;
  }

  /** The latest sample (null before the first one or while disabled). */
  get sample(): Sample | null {
    return this._latest;
  }

  /** Samples of the last minutes, oldest first. */
  get history(): readonly Sample[] {
    return this._history;
  }

  get historySeconds(): number {
    return this._historyMs / 1000;
  }

  /** True while the live stream delivers every sample to an open details view. */
  get live(): boolean {
    return this._liveViews > 0 && this._streamDelivering && this._streamIntervalMs === 0;
  }

  /** Why the live stream is not in use although a details view asked for it (null otherwise). */
  get streamError(): string | null {
    return this._streamError;
  }

  get settings(): IUsageSettings {
    return this._settings;
  }

  /** Applies new settings at once: enabling/disabling starts/stops every request. */
  set settings(value: IUsageSettings) {
    if (this.isDisposed) {
      return;
    }
    const previous = this._settings;
    this._settings = value;
    this._poll.frequency = CgroupUsageModel.pollFrequency(value.refreshRate, this._failures);
    if (!value.enabled && previous.enabled) {
      this._closeStream();
      void this._poll.stop();
      this._state = 'disabled';
      this._reason = '';
      // A later re-enable starts afresh, like a first load (no OOM notice for old kills).
      this._latest = null;
      this._history = [];
    } else if (value.enabled && !previous.enabled) {
      this._state = 'loading';
      void this._poll.start();
      if (this._liveViews > 0) {
        void this._seedHistory();
      }
      this._syncStream(true);
    } else if (value.enabled && value.refreshRate !== previous.refreshRate) {
      // Apply the new rate now rather than after the pending (possibly long) interval.
      void this._poll.refresh();
      this._syncStream(true);
    }
    this._changed.emit();
  }

  /** Asks for a fresh sample now (no-op while disabled). */
  refresh(): void {
    if (this._settings.enabled && !this.isDisposed) {
      void this._poll.refresh();
    }
  }

  /**
   * Called by a details view while it is shown: seeds the history from the sidecar and follows
   * the live stream. Dispose the result when the view closes.
   */
  watchLive(): IDisposable {
    this._liveViews++;
    if (this._liveViews === 1 && this._settings.enabled) {
      void this._seedHistory();
      this._syncStream(true);
    }
    return new DisposableDelegate(() => {
      this._liveViews--;
      if (this._liveViews === 0) {
        this._streamError = null;
        this._syncStream(true);
      }
    });
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._closeStream();
    this._poll.dispose();
    this._election?.dispose();
    this._channel?.close();
    Signal.clearData(this);
  }

  /** One poll tick. Rejecting makes the Poll back off; the reason is kept, never logged. */
  private async _pollOnce(): Promise<void> {
    let sample: Sample;
    try {
      sample = await this._transport.fetchMetrics();
    } catch (error) {
      if (this._settings.enabled && !this.isDisposed) {
        this._setUnavailable(errorMessage(error), true);
        // Read by the Poll when it schedules the next try, right after this rejection.
        this._failures++;
        this._poll.frequency = CgroupUsageModel.pollFrequency(this._settings.refreshRate, this._failures);
      }
      throw error;
    }
    if (this._failures > 0) {
      this._failures = 0;
      this._poll.frequency = CgroupUsageModel.pollFrequency(this._settings.refreshRate);
    }
    this._receive(sample, true);
    // The sidecar answers again: a stream that closed comes back.
    this._syncStream(false);
  }

  /** A message from the leading tab. */
  private _hear(data: unknown): void {
    const message = readTabMessage(data);
    if (message === null || this.isLeader || !this._settings.enabled || this.isDisposed) {
      return;
    }
    this._fedAt = Date.now();
    if (message.type === 'sample') {
      this._receive(message.sample, false);
    } else {
      this._setUnavailable(message.reason, false);
    }
  }

  /** Tells the other tabs, if this one leads them. */
  private _share(message: TabMessage): void {
    if (this._channel && this._election?.isLeader) {
      this._channel.postMessage(message);
    }
  }

  /** `share`: hand the sample on to the other tabs (false for one that came from the leader). */
  private _receive(sample: Sample, share: boolean): void {
    if (!this._settings.enabled || this.isDisposed) {
      return; // An answer that arrived after the user switched the plugin off.
    }
    if (share) {
      this._share({ type: 'sample', sample });
    }
    const previous = this._latest;
    const isNew = previous === null || sample.timestamp > previous.timestamp;
    const kills = isNew ? oomKillsBetween(previous, sample) : 0;
    if (isNew) {
      this._latest = sample;
      this._history = mergeHistory(this._history, [sample], this._historyMs, MAX_HISTORY_LENGTH);
    }
    this._state = 'available';
    this._reason = '';
    this._changed.emit();
    if (kills > 0) {
      this._oomKilled.emit({ kills, total: sample.memory.oomKills ?? kills, limit: sample.memory.limit });
    }
  }

  private _setUnavailable(reason: string, share: boolean): void {
    if (share) {
      this._share({ type: 'unavailable', reason });
    }
    if (this._state === 'unavailable' && this._reason === reason) {
      return;
    }
    this._state = 'unavailable';
    this._reason = reason;
    this._changed.emit();
  }

  /**
   * The stream this tab needs: every sample while a details view is open, one per refresh
   * interval while it leads the other tabs, none otherwise (null).
   */
  private _wantedStreamInterval(): number | null {
    if (!this._settings.enabled || this.isDisposed) {
      return null;
    }
    if (this._liveViews > 0) {
      return 0;
    }
    return this.isLeader ? this._settings.refreshRate : null;
  }

  /**
   * Opens, reopens or closes the stream as `_wantedStreamInterval` says. `now`: open at once
   * (something asked for it); otherwise only once the retry wait after a failure has passed.
   */
  private _syncStream(now: boolean): void {
    const wanted = this._wantedStreamInterval();
    if (this._stream && this._streamIntervalMs === wanted) {
      return;
    }
    this._closeStream();
    if (wanted !== null && (now || Date.now() >= this._streamRetryAt)) {
      this._openStream(wanted);
    }
  }

  private _openStream(intervalMs: number): void {
    this._streamError = null;
    this._streamIntervalMs = intervalMs;
    let delivered = false;
    const handlers = {
      onSample: (sample: Sample) => {
        delivered = true;
        this._streamDelivering = true;
        this._fedAt = Date.now();
        this._receive(sample, true);
      },
      onClose: (reason: string) => {
        this._stream = null;
        this._streamDelivering = false;
        this._streamError = reason;
        // A stream that never delivered (WebSockets blocked on the way) is retried less and less often.
        this._streamFailures = delivered ? 0 : this._streamFailures + 1;
        this._streamRetryAt = Date.now() + Math.min(MAX_BACKOFF_MS, STREAM_RETRY_MS * 2 ** this._streamFailures);
        this._fedAt = 0;
        // Poll until the stream is back: at once after a stream that delivered; after one that
        // never did, the poll that came just before it still holds, and the next one is due.
        if (delivered) {
          this.refresh();
        }
        this._changed.emit();
      }
    };
    try {
      this._stream = this._transport.openStream(handlers, intervalMs === 0 ? undefined : intervalMs);
    } catch (error) {
      handlers.onClose(errorMessage(error));
    }
  }

  private _closeStream(): void {
    this._stream?.close();
    this._stream = null;
    this._streamDelivering = false;
  }

  private async _seedHistory(): Promise<void> {
    let samples: Sample[];
    try {
      samples = (await this._transport.fetchHistory(this.historySeconds)).samples;
    } catch {
      return; // The charts then start from the samples this page has seen.
    }
    if (!this._settings.enabled || this.isDisposed || !Array.isArray(samples)) {
      return;
    }
    this._history = mergeHistory(this._history, samples, this._historyMs, MAX_HISTORY_LENGTH);
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _oomKilled = new Signal<this, IOomKillEvent>(this);
  private _transport: ITransport;
  private readonly _election: LeaderElection | null;
  private readonly _channel: ITabChannel | null;
  private _poll: Poll;
  private _settings: IUsageSettings;
  private _state: UsageState;
  private _reason = '';
  /** Failed polls in a row. */
  private _failures = 0;
  private _latest: Sample | null = null;
  private _history: Sample[] = [];
  private _historyMs: number;
  private _liveViews = 0;
  private _stream: IStream | null = null;
  private _streamDelivering = false;
  /** What the open stream was asked for: one sample per this many ms, 0 for every sample. */
  private _streamIntervalMs = 0;
  /** When the stream or the leading tab last delivered (ms since the epoch; 0: not since the last failure). */
  private _fedAt = 0;
  private _streamError: string | null = null;
  /** Streams in a row that closed without delivering a sample. */
  private _streamFailures = 0;
  /** No stream is reopened before this time (ms since the epoch). */
  private _streamRetryAt = 0;
  private _isDisposed = false;
}

export namespace CgroupUsageModel {
  export interface IOptions {
    transport: ITransport;
    /** Initial settings (defaults when absent). */
    settings?: IUsageSettings;
    /** How much history the charts keep; default DEFAULT_HISTORY_SECONDS. */
    historySeconds?: number;
    /** Decides whether this tab leads the others; without one it behaves as the only tab. The model disposes it. */
    election?: LeaderElection;
    /** Where the leader tells the other tabs (BroadcastChannel). The model closes it. */
    channel?: ITabChannel;
  }

  /**
   * True while the stream or the leading tab still delivers: something arrived within two
   * refresh intervals and a second (a message is due every interval, give or take a sample).
   */
  export function isFed(fedAt: number, now: number, refreshRate: number): boolean {
    return now - fedAt < 2 * refreshRate + 1000;
  }

  /**
   * Poll at the refresh rate; after `failures` failed polls in a row, wait at least the rate
   * times 2^failures, up to MAX_BACKOFF_MS. The Poll's own backoff draws each wait between
   * `interval` and 3x the last one, so with a fixed interval it keeps falling back to the
   * refresh rate (a failed request every few seconds); the growing floor makes it back off.
   */
  export function pollFrequency(refreshRate: number, failures = 0): IPoll.Frequency {
    const max = Math.max(refreshRate, MAX_BACKOFF_MS);
    return { interval: Math.min(max, refreshRate * 2 ** failures), backoff: true, max };
  }
}
