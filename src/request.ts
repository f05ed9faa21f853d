/**
 * Every call to the sidecar goes through this file: `requestAPI` for HTTP, `openStream` for
 * the WebSocket. The sidecar sits behind jupyter-server-proxy at <baseUrl>/cgroup-usage/, so
 * requests carry Jupyter's own authentication (token header or cookie plus XSRF).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { type HistoryResponse, isSample, type KernelPssResponse, type KernelsResponse, type Sample } from './sample';
import type { IKernelTransport, IStream, IStreamHandlers, ITransport } from './tokens';

/** The sidecar's API under the proxy. */
export const API_PATH = 'cgroup-usage/api/v1';

/** What a failed answer means for the user, from its status, content type and body. Pure. */
export function reasonFromResponse(status: number, contentType: string | null, body: string): string {
  if ((contentType ?? '').includes('json')) {
    try {
      const parsed = JSON.parse(body) as { error?: unknown };
      if (typeof parsed.error === 'string' && parsed.error) {
        return parsed.error;
      }
    } catch {
      // Not JSON after all: fall through to the status.
    }
  }
  if (status === 403 || status === 401) {
    return `not authorised by the Jupyter server (HTTP ${status})`;
  }
  if (status === 404) {
    return `the cgroup-usage route is not served: is jupyter-server-proxy installed and enabled? (HTTP ${status})`;
  }
  if (status >= 500) {
    return `the cgroup-usage sidecar did not answer through jupyter-server-proxy (HTTP ${status})`;
  }
  return `unexpected answer from the cgroup-usage sidecar (HTTP ${status})`;
}

/**
 * GET `<baseUrl>/cgroup-usage/api/v1/<endPoint>` and parse the JSON answer. Rejects with an
 * Error whose message is a reason fit for the user.
 */
export async function requestAPI<T>(
  endPoint: string,
  settings: ServerConnection.ISettings,
  init: RequestInit = {}
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_PATH, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new Error(`cannot reach the Jupyter server (${(error as Error).message})`);
  }
  const body = await response.text();
  if (!response.ok) {
    throw new Error(reasonFromResponse(response.status, response.headers.get('Content-Type'), body));
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new Error('the cgroup-usage sidecar answered something that is not JSON');
  }
}

/**
 * The stream's URL: `interval` when one sample per `intervalMs` is wanted, and the token where
 * JupyterLab appends it for its own sockets.
 */
export function streamUrl(settings: ServerConnection.ISettings, intervalMs?: number): string {
  const url = URLExt.join(settings.wsUrl, API_PATH, 'stream');
  const query: string[] = [];
  if (intervalMs !== undefined) {
    query.push(`interval=${Math.round(intervalMs)}`);
  }
  if (settings.appendToken && settings.token !== '') {
    query.push(`token=${encodeURIComponent(settings.token)}`);
  }
  return query.length === 0 ? url : `${url}?${query.join('&')}`;
}

/** Subscribes to the sidecar's WebSocket stream. */
export function openStream(
  settings: ServerConnection.ISettings,
  handlers: IStreamHandlers,
  intervalMs?: number
): IStream {
  const socket = new settings.WebSocket(streamUrl(settings, intervalMs));
  let open = true;
  const finish = (reason: string) => {
    if (open) {
      open = false;
      handlers.onClose(reason);
    }
  };
  socket.onmessage = (event: MessageEvent) => {
    let sample: unknown;
    try {
      sample = JSON.parse(String(event.data));
    } catch {
      return; // A malformed message is skipped; the next one will do.
    }
    if (open && isSample(sample)) {
      handlers.onSample(sample);
    }
  };
  socket.onerror = () => finish('the live stream failed');
  socket.onclose = (event: CloseEvent) => finish(`the live stream closed (code ${event.code})`);
  return {
    close: () => {
      open = false;
      socket.close();
    }
  };
}

/** The real transport: the sidecar behind the Jupyter server. */
export class ServerTransport implements ITransport {
  constructor(private readonly _settings: ServerConnection.ISettings) {}

  async fetchMetrics(): Promise<Sample> {
    const sample = await requestAPI<unknown>('metrics', this._settings);
    if (!isSample(sample)) {
      throw new Error('the cgroup-usage sidecar answered an unknown sample format');
    }
    return sample;
  }

  fetchHistory(seconds: number): Promise<HistoryResponse> {
    return requestAPI<HistoryResponse>(`history?seconds=${Math.round(seconds)}`, this._settings);
  }

  openStream(handlers: IStreamHandlers, intervalMs?: number): IStream {
    return openStream(this._settings, handlers, intervalMs);
  }
}

/** The per-kernel routes of the sidecar behind the Jupyter server. */
export class ServerKernelTransport implements IKernelTransport {
  constructor(private readonly _settings: ServerConnection.ISettings) {}

  async fetchKernels(): Promise<KernelsResponse> {
    const answer = await requestAPI<KernelsResponse>('kernels', this._settings);
    if (!Array.isArray(answer?.kernels) || !Array.isArray(answer.errors)) {
      throw new Error('the cgroup-usage sidecar answered an unknown kernel list format');
    }
    return answer;
  }

  measurePss(id: string): Promise<KernelPssResponse> {
    return requestAPI<KernelPssResponse>(`kernels/${encodeURIComponent(id)}/pss`, this._settings, { method: 'POST' });
  }
}
