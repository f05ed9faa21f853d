/**
 * Simulated browser tabs fed the way the frontends feed them. Polling tabs: a request, and
 * once it is answered a pause of the polling interval (a Lumino Poll's rhythm), at evenly
 * spread phases, like tabs opened at different moments. Tabs sharing a stream (our plugin):
 * one WebSocket, the leading tab's, whose every message updates all K tabs (the others hear
 * it over a BroadcastChannel, which never reaches the server).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { JupyterServer } from './server.js';
import type { Setup } from './setups.js';

const REQUEST_TIMEOUT_MS = 60_000;

export interface Polls {
  /** Latency of each answered request, in ms. */
  latencies: number[];
  /** Requests that failed (non-2xx, timeout, connection error), or streams that closed early. */
  failures: number;
}

export interface Tabs {
  /** Status-bar updates the tabs have had so far, all tabs together. */
  updates(): number;
  /** Stops polling; resolves when in-flight requests have ended. */
  close(): Promise<Polls>;
}

/** K tabs of `setup` (null when nothing feeds its tabs). */
export function openSetupTabs(server: JupyterServer, setup: Setup, count: number): Tabs | null {
  if (setup.streamPath) return openSharedStream(server, setup.streamPath, count);
  return setup.pollPath ? openTabs(server, setup.pollPath, setup.pollMs, count) : null;
}

function openSharedStream(server: JupyterServer, path: string, count: number): Tabs {
  const socket = new WebSocket(server.url.replace(/^http/, 'ws') + path, {
    headers: { Authorization: `token ${server.token}` }
  });
  let messages = 0;
  let failures = 0;
  let closing = false;
  socket.on('message', () => messages++);
  socket.on('error', () => undefined); // the close that follows counts it
  const closed = new Promise<void>(resolve =>
    socket.on('close', () => {
      if (!closing) failures++;
      resolve();
    })
  );
  return {
    updates: () => messages * count,
    async close() {
      closing = true;
      socket.terminate();
      await closed;
      return { latencies: [], failures };
    }
  };
}

export function openTabs(server: JupyterServer, path: string, intervalMs: number, count: number): Tabs {
  const stop = new AbortController();
  const polls: Polls = { latencies: [], failures: 0 };
  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined);

  const tab = async (index: number): Promise<void> => {
    await pause((index * intervalMs) / count);
    while (!stop.signal.aborted) {
      const start = performance.now();
      try {
        const response = await server.request(path, { timeoutMs: REQUEST_TIMEOUT_MS });
        await response.arrayBuffer();
        if (response.ok) polls.latencies.push(performance.now() - start);
        else polls.failures++;
      } catch {
        polls.failures++;
      }
      await pause(intervalMs);
    }
  };
  const running = Array.from({ length: count }, (_, index) => tab(index));

  return {
    updates: () => polls.latencies.length,
    async close() {
      stop.abort();
      await Promise.all(running);
      return polls;
    }
  };
}
