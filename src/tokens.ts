/**
 * Interfaces between the parts of the plugin. The model talks to the sidecar only through
 * ITransport, so tests can hand it a fake one and run without a server; the other plugins
 * (and other extensions) get the model through the ICgroupUsageModel token.
 */
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { IDisposable } from '@lumino/disposable';
import type { IOomKillEvent, UsageState } from './model';
import type { HistoryResponse, KernelPssResponse, KernelsResponse, Sample } from './sample';
import type { IUsageSettings } from './settings';

/**
 * The plugin ids, as administrators name them (`jupyter labextension disable <id>`).
 * The core plugin owns the settings (schema/plugin.json) and provides the model.
 */
export const PLUGIN_ID = 'jupyterlab-cgroup-usage:plugin';
export const STATUS_ITEM_PLUGIN_ID = 'jupyterlab-cgroup-usage:status-item';
export const OOM_NOTIFIER_PLUGIN_ID = 'jupyterlab-cgroup-usage:oom-notifier';
export const EARLY_WARNING_PLUGIN_ID = 'jupyterlab-cgroup-usage:early-warning';
export const TOP_BAR_ITEM_PLUGIN_ID = 'jupyterlab-cgroup-usage:top-bar-item';
/** The item's name in the top bar's toolbar (schema/plugin.json's `jupyter.lab.toolbars`). */
export const TOP_BAR_ITEM_NAME = 'cgroup-usage';
export const KERNEL_USAGE_PLUGIN_ID = 'jupyterlab-cgroup-usage:kernel-usage';
/** Opens the kernel panel (the details view links to it by this name). */
export const OPEN_KERNEL_USAGE_COMMAND = 'cgroup-usage:open-kernel-usage';

/** What the model offers its views: the latest figures, the history, and their changes. */
export interface ICgroupUsageModel {
  /** Emitted whenever anything shown may have changed (sample, state, settings). */
  readonly changed: ISignal<ICgroupUsageModel, void>;
  /** Emitted when the OOM-kill counter increases between two samples. */
  readonly oomKilled: ISignal<ICgroupUsageModel, IOomKillEvent>;
  readonly state: UsageState;
  /** Why the sidecar is unavailable (empty otherwise). */
  readonly reason: string;
  /** The latest sample (null before the first one or while disabled). */
  readonly sample: Sample | null;
  /** Samples of the last minutes, oldest first. */
  readonly history: readonly Sample[];
  readonly historySeconds: number;
  /** True while the live stream delivers every sample to an open details view. */
  readonly live: boolean;
  /** Why the live stream is not in use although a details view asked for it (null otherwise). */
  readonly streamError: string | null;
  readonly settings: IUsageSettings;
  /** Asks for a fresh sample now (no-op while disabled). */
  refresh(): void;
  /** Seeds the history and follows the live stream until the result is disposed. */
  watchLive(): IDisposable;
}

export const ICgroupUsageModel = new Token<ICgroupUsageModel>(
  'jupyterlab-cgroup-usage:ICgroupUsageModel',
  'The container usage figures read from cgroups by the sidecar, polled and streamed.'
);

export interface IStreamHandlers {
  /** A new sample arrived. */
  onSample(sample: Sample): void;
  /** The stream ended (refused, dropped or closed by the server), with the reason. Called once. */
  onClose(reason: string): void;
}

/** An open live stream; `close()` ends it without calling `onClose`. */
export interface IStream {
  close(): void;
}

export interface ITransport {
  /** The sidecar's latest sample. Rejects with an Error whose message is the reason to show. */
  fetchMetrics(): Promise<Sample>;
  /** The sidecar's samples of the last `seconds` seconds. */
  fetchHistory(seconds: number): Promise<HistoryResponse>;
  /** Every new sample as the sidecar takes it, or one per `intervalMs` when given. */
  openStream(handlers: IStreamHandlers, intervalMs?: number): IStream;
}

/** The sidecar's per-kernel routes, behind an interface for the same reason as ITransport. */
export interface IKernelTransport {
  /** `GET kernels`. Rejects with an Error whose message is the reason to show. */
  fetchKernels(): Promise<KernelsResponse>;
  /** `POST kernels/<id>/pss`: measures now. */
  measurePss(id: string): Promise<KernelPssResponse>;
}
