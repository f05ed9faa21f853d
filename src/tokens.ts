/**
 * Interfaces between the parts of the plugin. The model talks to the sidecar only through
 * ITransport, so tests can hand it a fake one and run without a server.
 */
import type { HistoryResponse, Sample } from './sample';

/** The plugin id: settings, the status item and admin commands (`jupyter labextension disable`) use it. */
export const PLUGIN_ID = 'jupyterlab-cgroup-usage:plugin';

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
  /** Every new sample as the sidecar takes it. */
  openStream(handlers: IStreamHandlers): IStream;
}
