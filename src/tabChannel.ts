/**
 * What the leading tab tells the other tabs of the same server (a BroadcastChannel): each
 * sample it receives, and why the sidecar is unavailable when it is.
 */
import { isSample, type Sample } from './sample';
import { PLUGIN_ID } from './tokens';

export type TabMessage = { type: 'sample'; sample: Sample } | { type: 'unavailable'; reason: string };

/** The part of BroadcastChannel the model uses. */
export interface ITabChannel {
  postMessage(message: TabMessage): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/**
 * The name of the channel and of the leader lock. Tabs share an origin's channels and locks
 * with every server on that origin (JupyterHub serves each user under /user/<name>/), so the
 * name carries the server's base URL.
 */
export function shareName(baseUrl: string): string {
  return `${PLUGIN_ID}:${baseUrl}`;
}

/** The message, if `data` is one; anything else on the channel (another version, say) is ignored. */
export function readTabMessage(data: unknown): TabMessage | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const message = data as { type?: unknown; sample?: unknown; reason?: unknown };
  if (message.type === 'sample' && isSample(message.sample)) {
    return { type: 'sample', sample: message.sample };
  }
  if (message.type === 'unavailable' && typeof message.reason === 'string') {
    return { type: 'unavailable', reason: message.reason };
  }
  return null;
}
