/**
 * Simulated browser tabs polling a metrics endpoint the way the frontends do: a request,
 * and once it is answered a pause of the polling interval (a Lumino Poll's rhythm).
 * Tabs start at evenly spread phases, like tabs opened at different moments.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JupyterServer } from './server.js';

const REQUEST_TIMEOUT_MS = 60_000;

export interface Polls {
  /** Latency of each answered request, in ms. */
  latencies: number[];
  /** Requests that failed (non-2xx, timeout, connection error). */
  failures: number;
}

export interface Tabs {
  /** Stops polling; resolves when in-flight requests have ended. */
  close(): Promise<Polls>;
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
    async close() {
      stop.abort();
      await Promise.all(running);
      return polls;
    }
  };
}
