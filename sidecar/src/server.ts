/**
 * The sidecar's HTTP and WebSocket server (routes in docs/sidecar.md). Every answer about the
 * container comes from the sampler's cache: such a request never triggers a read, and each new
 * sample is serialised once and the same bytes are sent to every WebSocket client. The kernel
 * routes are the exception: they read /proc when asked (kernels.ts, pss.ts), never otherwise.
 */
import { once } from 'node:events';
import { chmod, lstat, unlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ErrorResponse, HistoryResponse, Sample } from '../../src/sample.js';
import { writeHistory } from './historyStream.js';
import { KernelScanner } from './kernels.js';
import { PssBusy, PssMeter } from './pss.js';
import { toResourceUsageJson } from './resourceUsageJson.js';
import type { PrometheusExposition } from './prometheus.js';
import { HISTORY_SECONDS, type Sampler } from './sampler.js';

export type ListenTarget = { unixSocket: string } | { host: string; port: number };

const STREAM_PATH = '/api/v1/stream';
/** `POST /api/v1/kernels/<id>/pss`; the id as connection files spell it (kernel ids are UUIDs). */
const KERNEL_PSS_PATH = /^\/api\/v1\/kernels\/([^/]*)\/pss$/;
const KERNEL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/**
 * For this long after an HTTP request the sampler reads on every tick even while only paced
 * streams are connected: longer than the usual poll and scrape intervals (5 to 60 s).
 */
const REQUEST_DEMAND_MS = 120_000;
/** Our requests are one short line of headers and no body: anything slower is a stuck or hostile client. */
const HEADERS_TIMEOUT_MS = 10_000;
/** A WebSocket client with more than this queued is too slow: it skips samples until it drains. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** The longest `?interval=` a stream client may ask for (the longest sampling interval). */
const MAX_STREAM_INTERVAL_MS = 3_600_000;

export interface ServerLimits {
  /** History responses written at once; more get 503 with Retry-After. */
  maxHistoryStreams: number;
  /** A history response whose client reads nothing for this long is dropped. */
  historyWriteTimeoutMs: number;
  /** WebSocket clients are pinged this often; one that did not answer the previous ping is dropped. */
  pingIntervalMs: number;
}

const DEFAULT_LIMITS: ServerLimits = { maxHistoryStreams: 4, historyWriteTimeoutMs: 30_000, pingIntervalMs: 30_000 };

const DESCRIPTION = `cgroup-usage-sidecar: CPU and memory of this container, read from its cgroup files.
GET /api/v1/metrics            latest sample (JSON)
GET /api/v1/history?seconds=N  samples of the last N seconds (JSON)
GET /api/v1/stream?interval=MS every new sample, or one every MS ms (WebSocket)
GET /api/metrics/v1            latest sample in jupyter-resource-usage's shape (JSON)
GET /api/v1/kernels            the Jupyter server's kernels: RSS, CPU, processes (JSON)
POST /api/v1/kernels/ID/pss    the PSS of one kernel's processes, measured now (JSON)
GET /metrics                   Prometheus text exposition
`;

type Route = (url: URL, response: http.ServerResponse) => void | Promise<void>;

function send(response: http.ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store'
  });
  response.end(body);
}

function sendJson(response: http.ServerResponse, status: number, json: string): void {
  send(response, status, 'application/json; charset=utf-8', json);
}

function sendError(response: http.ServerResponse, status: number, error: string): void {
  const body: ErrorResponse = { error };
  sendJson(response, status, JSON.stringify(body));
}

/**
 * The path a route is looked up by: query string ignored, trailing slash tolerated. Null when
 * the request target is not a URL at all (`//[`, `http://a:99999/`): the WHATWG parser throws
 * on those, and an exception here would end the process.
 */
function routePath(rawUrl: string | undefined): { url: URL; path: string } | null {
  let url: URL;
  try {
    url = new URL(rawUrl ?? '/', 'http://sidecar');
  } catch {
    return null;
  }
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return { url, path };
}

/** An answer written straight to a socket that never became an HTTP exchange (a refused upgrade). */
function refuseUpgrade(socket: Duplex, status: string, error?: string): void {
  if (error === undefined) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  const body = JSON.stringify({ error } satisfies ErrorResponse);
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Parses the stream's `interval`: absent means every sample (0); otherwise 1 to MAX_STREAM_INTERVAL_MS. */
function parseStreamInterval(url: URL): number | null {
  const raw = url.searchParams.get('interval');
  if (raw === null) {
    return 0;
  }
  const ms = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return ms >= 1 && ms <= MAX_STREAM_INTERVAL_MS ? ms : null;
}

/** Parses `seconds`: absent means the whole history; otherwise a positive whole number. */
function parseSeconds(url: URL): number | null {
  const raw = url.searchParams.get('seconds');
  if (raw === null) {
    return HISTORY_SECONDS;
  }
  const seconds = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null;
}

/** True when a server answers on the Unix socket at `path`. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise(resolve => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes a socket file left behind by a sidecar that died; refuses to touch anything else. */
async function removeStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    throw error;
  }
  if (!stats.isSocket()) {
    throw new Error(`${path} exists and is not a socket`);
  }
  if (await socketInUse(path)) {
    throw new Error(`${path} is in use by another server`);
  }
  await unlink(path);
}

/** `http://host:port` of a listening TCP server. */
function tcpWhere(server: http.Server): string {
  const address = server.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export class SidecarServer {
  private readonly sampler: Sampler;
  private readonly httpServer = http.createServer(
    {
      // A client that has not sent a whole request HEADERS_TIMEOUT_MS after connecting (slowloris,
      // or one that sends nothing) is answered 408 and dropped, instead of after Node's 60 s.
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: 1000
    },
    (request, response) => void this.handle(this.routes, request, response)
  );
  /** The scrape listener (--metrics-port): `/metrics` only, so nothing else is readable without Jupyter's login. */
  private readonly scrapeServer = http.createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    (request, response) => void this.handle(this.scrapeRoutes, request, response)
  );
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  /** Loaded on the first scrape: prom-client costs several MB of RSS that most sidecars never need. */
  private prometheus: Promise<PrometheusExposition> | null = null;
  private readonly unsubscribe: () => void;
  private readonly routes = new Map<string, Route>([
    ['/', (_url, response) => send(response, 200, 'text/plain; charset=utf-8', DESCRIPTION)],
    [
      '/api/v1/metrics',
      (_url, response) => this.withSample(response, () => sendJson(response, 200, this.latestJson()))
    ],
    ['/api/v1/history', (url, response) => this.history(url, response)],
    [
      STREAM_PATH,
      (_url, response) => sendError(response, 426, `${STREAM_PATH} is a WebSocket: send an Upgrade request`)
    ],
    [
      '/api/metrics/v1',
      (_url, response) =>
        this.withSample(response, sample => sendJson(response, 200, JSON.stringify(toResourceUsageJson(sample))))
    ],
    ['/metrics', (_url, response) => this.metrics(response)],
    ['/api/v1/kernels', (_url, response) => this.kernelList(response)]
  ]);
  private readonly scrapeRoutes = new Map<string, Route>([['/metrics', (_url, response) => this.metrics(response)]]);
  private socketPath: string | null = null;
  private jsonCache: { sample: Sample; json: string } | null = null;
  private readonly limits: ServerLimits;
  private historyStreams = 0;
  /** Clients that answered the latest ping (or connected since it was sent). */
  private readonly answeredPing = new WeakSet<WebSocket>();
  /** What each stream client asked for (`?interval=`, 0 for every sample) and the timestamp it was last sent. */
  private readonly pace = new WeakMap<WebSocket, { intervalMs: number; sentAt: number }>();
  private readonly heartbeat: NodeJS.Timeout;
  /** When the latest HTTP request to a known route came (ms since the epoch; see sampleWanted). */
  private lastRequestAt = -Infinity;
  private readonly kernels: KernelScanner;
  private readonly pss: PssMeter;

  /** `kernels` finds the kernels below the Jupyter server; by default below the sidecar's parent in /proc. */
  constructor(
    sampler: Sampler,
    limits: Partial<ServerLimits> = {},
    kernels = new KernelScanner({ procRoot: '/proc', serverPid: process.ppid })
  ) {
    this.sampler = sampler;
    this.kernels = kernels;
    this.pss = new PssMeter(kernels);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.heartbeat = setInterval(() => this.ping(), this.limits.pingIntervalMs).unref();
    this.unsubscribe = sampler.onSample(() => this.broadcast());
    sampler.readWhen(now => this.sampleWanted(now));
    this.httpServer.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    this.wss.on('connection', client => this.connect(client));
  }

  /** Listens on a Unix socket (mode 0600) or a TCP port; resolves to where, e.g. `http://127.0.0.1:8080`. */
  async listen(target: ListenTarget): Promise<string> {
    if ('unixSocket' in target) {
      await removeStaleSocket(target.unixSocket);
      // The umask makes the socket private from the moment it exists; chmod makes sure.
      const umask = process.umask(0o177);
      try {
        this.httpServer.listen(target.unixSocket);
      } finally {
        process.umask(umask);
      }
      await once(this.httpServer, 'listening');
      this.socketPath = target.unixSocket;
      await chmod(target.unixSocket, 0o600);
      return `unix:${target.unixSocket}`;
    }
    this.httpServer.listen(target.port, target.host);
    await once(this.httpServer, 'listening');
    return tcpWhere(this.httpServer);
  }

  /** Serves `/metrics` alone on a TCP port as well; resolves to where, e.g. `http://127.0.0.1:9100`. */
  async listenScrape(host: string, port: number): Promise<string> {
    this.scrapeServer.listen(port, host);
    await once(this.scrapeServer, 'listening');
    return tcpWhere(this.scrapeServer);
  }

  /** Stops listening, disconnects every client and removes the socket file. */
  async close(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    for (const client of this.wss.clients) {
      client.terminate();
    }
    this.wss.close();
    for (const server of [this.httpServer, this.scrapeServer]) {
      if (server.listening) {
        const closed = once(server, 'close');
        server.close();
        server.closeAllConnections();
        await closed;
      }
    }
    if (this.socketPath !== null) {
      await unlink(this.socketPath).catch(() => undefined);
      this.socketPath = null;
    }
  }

  /** The latest sample as JSON, serialised once per sample whoever asks. */
  private latestJson(): string {
    const sample = this.sampler.latest() as Sample;
    if (this.jsonCache?.sample !== sample) {
      this.jsonCache = { sample, json: JSON.stringify(sample) };
    }
    return this.jsonCache.json;
  }

  private async handle(
    routes: Map<string, Route>,
    request: http.IncomingMessage,
    response: http.ServerResponse
  ): Promise<void> {
    const target = routePath(request.url);
    if (target === null) {
      sendError(response, 400, 'malformed request target');
      return;
    }
    const { url, path } = target;
    const pss = routes === this.routes ? KERNEL_PSS_PATH.exec(path) : null;
    const route = routes.get(path);
    if (route === undefined && pss === null) {
      sendError(response, 404, `no such route: ${path}`);
      return;
    }
    this.lastRequestAt = Date.now();
    if (route !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      sendError(response, 405, `${request.method} is not allowed on ${path}: use GET`);
      return;
    }
    try {
      await (pss !== null ? this.kernelPss(request, response, pss[1]) : route!(url, response));
    } catch (error) {
      if (!response.headersSent) {
        sendError(response, 500, String(error));
      }
    }
  }

  /** Answers with `answer(sample)`, or 503 while the first sample is still being taken. */
  private withSample(
    response: http.ServerResponse,
    answer: (sample: Sample) => void | Promise<void>
  ): void | Promise<void> {
    const sample = this.sampler.latest();
    if (sample === null) {
      response.setHeader('Retry-After', '1');
      sendError(response, 503, 'no sample yet: the first reading is in progress');
      return;
    }
    return answer(sample);
  }

  /** Streamed (see historyStream.ts), at most limits.maxHistoryStreams at once. */
  private async history(url: URL, response: http.ServerResponse): Promise<void> {
    const seconds = parseSeconds(url);
    if (seconds === null) {
      sendError(
        response,
        400,
        `seconds must be a positive whole number, got ${JSON.stringify(url.searchParams.get('seconds'))}`
      );
      return;
    }
    if (this.historyStreams >= this.limits.maxHistoryStreams) {
      response.setHeader('Retry-After', '1');
      sendError(response, 503, `${this.historyStreams} history requests are being answered: retry shortly`);
      return;
    }
    // The same text JSON.stringify(HistoryResponse) gives, split where the samples go.
    const empty: HistoryResponse = { version: 1, intervalMs: this.sampler.intervalMs, samples: [] };
    const [head, tail] = JSON.stringify(empty).split('[]');
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    this.historyStreams++;
    try {
      const range = this.sampler.historyRange(seconds);
      const source = { json: (sequence: number) => this.sampler.historyJson(sequence) };
      await writeHistory(response, `${head}[`, `]${tail}`, range, source, this.limits.historyWriteTimeoutMs);
    } finally {
      this.historyStreams--;
    }
  }

  private async kernelList(response: http.ServerResponse): Promise<void> {
    sendJson(response, 200, JSON.stringify(await this.kernels.scan()));
  }

  /** Measures on POST only: the figure costs a page-table walk per process, which a GET must not trigger. */
  private async kernelPss(request: http.IncomingMessage, response: http.ServerResponse, id: string): Promise<void> {
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      sendError(response, 405, `${request.method} is not allowed on /api/v1/kernels/<id>/pss: use POST`);
      return;
    }
    if (!KERNEL_ID.test(id)) {
      sendError(response, 400, `not a kernel id: ${JSON.stringify(id.slice(0, 140))}`);
      return;
    }
    try {
      const answer = await this.pss.measure(id);
      if (answer === null) {
        sendError(response, 404, `no kernel ${id} runs below the Jupyter server`);
      } else {
        sendJson(response, 200, JSON.stringify(answer));
      }
    } catch (error) {
      if (!(error instanceof PssBusy)) {
        throw error;
      }
      response.setHeader('Retry-After', '1');
      sendError(response, 503, error.message);
    }
  }

  private metrics(response: http.ServerResponse): void | Promise<void> {
    return this.withSample(response, async sample => {
      this.prometheus ??= import('./prometheus.js').then(
        ({ PrometheusExposition, hubLabels }) => new PrometheusExposition(hubLabels(process.env))
      );
      const prometheus = await this.prometheus;
      send(response, 200, prometheus.contentType, await prometheus.render(sample));
    });
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws takes the socket over, its errors (a peer resetting mid-handshake) are ours to absorb.
    socket.on('error', () => socket.destroy());
    const target = routePath(request.url);
    if (target === null) {
      refuseUpgrade(socket, '400 Bad Request');
      return;
    }
    if (target.path !== STREAM_PATH) {
      refuseUpgrade(socket, '404 Not Found');
      return;
    }
    const intervalMs = parseStreamInterval(target.url);
    if (intervalMs === null) {
      const raw = JSON.stringify(target.url.searchParams.get('interval'));
      refuseUpgrade(
        socket,
        '400 Bad Request',
        `interval must be a whole number of milliseconds from 1 to ${MAX_STREAM_INTERVAL_MS}, got ${raw}`
      );
      return;
    }
    this.wss.handleUpgrade(request, socket, head, client => {
      this.pace.set(client, { intervalMs, sentAt: -Infinity });
      this.wss.emit('connection', client, request);
    });
  }

  /**
   * Whether the sampler's next tick should read. Yes unless stream clients are connected and
   * every one of them asked for a longer `?interval=` than has passed since its last sample:
   * the status bar's stream at 5 s then costs one reading per 5 s, not five. An HTTP request
   * (a poll, a Prometheus scrape, a history) brings every tick's reading back for
   * REQUEST_DEMAND_MS, so that pollers see samples one interval apart. Requests are answered
   * from the latest sample either way.
   */
  private sampleWanted(now: number): boolean {
    if (this.wss.clients.size === 0 || now - this.lastRequestAt < REQUEST_DEMAND_MS) {
      return true;
    }
    for (const client of this.wss.clients) {
      const pace = this.pace.get(client);
      if (pace === undefined || this.due(pace, now)) {
        return true;
      }
    }
    return false;
  }

  /** A paced client is due a sample taken at `timestamp`: half a sampling interval of slack (below). */
  private due(pace: { intervalMs: number; sentAt: number }, timestamp: number): boolean {
    return timestamp - pace.sentAt + this.sampler.intervalMs / 2 >= pace.intervalMs;
  }

  /**
   * Sends the latest sample unless the client asked for a longer interval than has passed since
   * its last one. Half a sampling interval of slack: samples come one interval apart give or take
   * the timer's jitter, so `interval=5000` at 1 s sampling means every 5th sample, not every 6th.
   */
  private sendPaced(client: WebSocket, sample: Sample, json: string): void {
    const pace = this.pace.get(client);
    if (pace !== undefined) {
      if (!this.due(pace, sample.timestamp)) {
        return;
      }
      pace.sentAt = sample.timestamp;
    }
    client.send(json);
  }

  /**
   * Drops the clients that did not answer the previous ping: a peer gone without a close (TCP
   * keeps such a connection open for hours) or one that stopped reading. Browsers, ws and
   * jupyter-server-proxy answer pings by themselves.
   */
  private ping(): void {
    for (const client of this.wss.clients) {
      if (!this.answeredPing.has(client)) {
        client.terminate();
        continue;
      }
      this.answeredPing.delete(client);
      client.ping();
    }
  }

  private connect(client: WebSocket): void {
    // A broken client must not throw into the process: drop it.
    client.on('error', () => client.terminate());
    this.answeredPing.add(client);
    client.on('pong', () => this.answeredPing.add(client));
    const sample = this.sampler.latest();
    if (sample !== null) {
      this.sendPaced(client, sample, this.latestJson());
    }
  }

  private broadcast(): void {
    // With no tab open (or only pollers) nobody streams: then there is nothing to serialise.
    if (this.wss.clients.size === 0) {
      return;
    }
    const sample = this.sampler.latest() as Sample;
    const json = this.latestJson();
    for (const client of this.wss.clients) {
      if (client.readyState === WebSocket.OPEN && client.bufferedAmount <= MAX_BUFFERED_BYTES) {
        this.sendPaced(client, sample, json);
      }
    }
  }
}
