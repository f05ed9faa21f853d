import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { HistoryResponse, Sample } from '../../src/sample.js';
import { hubLabels, PrometheusExposition } from '../../sidecar/src/prometheus.js';
import { toResourceUsageJson } from '../../sidecar/src/resourceUsageJson.js';
import { Sampler } from '../../sidecar/src/sampler.js';
import { SidecarServer, type ServerLimits } from '../../sidecar/src/server.js';
import { FakeReader, MiB } from '../helpers/fake-reader.js';
import type { Reading } from '../../sidecar/src/reading.js';
import { getOverSocket } from './unix-http.js';

const INTERVAL_MS = 1000;

/** A sampler driven by mocked timers: takeSample() makes exactly one new sample. */
class Harness {
  readonly sampler: Sampler;
  readonly server: SidecarServer;
  private started = false;

  constructor(
    readonly reader = new FakeReader(),
    limits: Partial<ServerLimits> = {}
  ) {
    this.sampler = new Sampler(reader, INTERVAL_MS);
    this.server = new SidecarServer(this.sampler, limits);
  }

  takeSample(): Promise<Sample> {
    const next = new Promise<Sample>(resolve => {
      const unsubscribe = this.sampler.onSample(sample => {
        unsubscribe();
        resolve(sample);
      });
    });
    if (this.started) {
      mock.timers.tick(INTERVAL_MS);
    } else {
      this.started = true;
      this.sampler.start();
    }
    return next;
  }

  async close(): Promise<void> {
    this.sampler.stop();
    await this.server.close();
  }
}

/** Lets `count` sampling intervals pass on the mocked clock, each tick's read settling. */
async function tickIntervals(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    mock.timers.tick(INTERVAL_MS);
    await setImmediate();
  }
}

/** Collects a WebSocket client's messages and lets a test wait for the n-th. */
class StreamClient {
  readonly messages: Sample[] = [];
  readonly socket: WebSocket;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on('message', data => {
      this.messages.push(JSON.parse(String(data)) as Sample);
      this.waiters = this.waiters.filter(waiter => {
        if (this.messages.length >= waiter.count) {
          waiter.resolve();
          return false;
        }
        return true;
      });
    });
  }

  received(count: number): Promise<void> {
    if (this.messages.length >= count) {
      return Promise.resolve();
    }
    return new Promise(resolve => this.waiters.push({ count, resolve }));
  }
}

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Parses a Prometheus text exposition into HELP/TYPE per family and sample lines. */
function parseExposition(text: string): {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
} {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '') {
      continue;
    }
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? help : type).set(comment[2] as string, comment[3] as string);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    const value = Number(match[3]);
    assert.ok(!Number.isNaN(value), `not a number: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return { help, type, samples };
}

function promtool(text: string): Promise<{ found: boolean; output: string; ok: boolean }> {
  return new Promise(resolve => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      resolve({ found: code !== 'ENOENT', ok: error === null, output: stdout + stderr });
    });
    child.stdin?.end(text);
  });
}

describe('HTTP and WebSocket server (TCP)', () => {
  let harness: Harness;
  let base: string;

  beforeEach(async () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_700_000_000_000 });
    harness = new Harness();
    base = await harness.server.listen({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await harness.close();
    mock.timers.reset();
  });

  it('listens on a free port of the loopback address', () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(base, 'http://127.0.0.1:0');
  });

  it('GET / answers 200 with a short description', async () => {
    const response = await fetch(`${base}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await response.text(), /cgroup-usage-sidecar/);
  });

  it('GET /api/v1/metrics answers 503 before the first sample, then the cached sample', async () => {
    const early = await getJson(`${base}/api/v1/metrics`);
    assert.equal(early.status, 503);
    assert.equal(typeof (early.body as { error: unknown }).error, 'string');
    const sample = await harness.takeSample();
    const late = await getJson(`${base}/api/v1/metrics`);
    assert.equal(late.status, 200);
    assert.deepEqual(late.body, sample);
  });

  it('never reads on request: many requests cost no extra read', async () => {
    await harness.takeSample();
    // The sampler's second reading runs on a real timer (CPU_WINDOW_MS after start): let it
    // happen first, so that a slow machine cannot count it as a read made on request.
    if (harness.reader.reads < 2) {
      await new Promise<void>(resolve => {
        const unsubscribe = harness.sampler.onSample(() => {
          unsubscribe();
          resolve();
        });
      });
    }
    const reads = harness.reader.reads;
    const answers = await Promise.all(Array.from({ length: 20 }, () => getJson(`${base}/api/v1/metrics`)));
    assert.ok(answers.every(answer => answer.status === 200));
    assert.equal(harness.reader.reads, reads);
  });

  it('tolerates query strings and a trailing slash, as a proxy may forward them', async () => {
    const sample = await harness.takeSample();
    for (const path of ['/api/v1/metrics?token=abc', '/api/v1/metrics/', '/api/v1/metrics/?_=1']) {
      const answer = await getJson(base + path);
      assert.equal(answer.status, 200, path);
      assert.deepEqual(answer.body, sample, path);
    }
    assert.equal((await fetch(`${base}/?probe=1`)).status, 200);
  });

  it('GET /api/v1/history returns the samples of the last N seconds', async () => {
    const samples = [await harness.takeSample(), await harness.takeSample(), await harness.takeSample()];
    const all = await getJson(`${base}/api/v1/history?seconds=3600`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, { version: 1, intervalMs: INTERVAL_MS, samples } satisfies HistoryResponse);
    // Samples are 1 s apart (mocked clock): the last second holds the two newest.
    const recent = (await getJson(`${base}/api/v1/history?seconds=1`)).body as HistoryResponse;
    assert.deepEqual(recent.samples, samples.slice(1));
    const whole = (await getJson(`${base}/api/v1/history`)).body as HistoryResponse;
    assert.equal(whole.samples.length, 3);
  });

  it('GET /api/v1/history rejects a bad N with 400 and a JSON error', async () => {
    for (const seconds of ['abc', '0', '-5', '1.5', '', '1e3', '99999999999999999999']) {
      const answer = await getJson(`${base}/api/v1/history?seconds=${encodeURIComponent(seconds)}`);
      assert.equal(answer.status, 400, seconds);
      assert.match((answer.body as { error: string }).error, /seconds/);
    }
  });

  it("GET /api/metrics/v1 answers in jupyter-resource-usage's shape", async () => {
    const sample = await harness.takeSample();
    await harness.takeSample();
    const answer = await getJson(`${base}/api/metrics/v1`);
    assert.equal(answer.status, 200);
    const body = answer.body as ReturnType<typeof toResourceUsageJson>;
    assert.equal(body.rss, 300 * MiB + 1);
    assert.deepEqual(body.limits.memory, { rss: 512 * MiB, warn: false });
    assert.deepEqual(body.limits.cpu, { cpu: 0.5, warn: true });
    assert.deepEqual(body.limits.disk, { disk: 4000, warn: false });
    assert.equal(body.cpu_count, sample.cpu.hostCpus);
    assert.equal(typeof body.cpu_percent, 'number');
    assert.equal(body.disk_used, 1000);
    assert.equal(body.disk_total, 4000);
    assert.equal('pss' in body, false);
  });

  it('GET /metrics exposes the latest sample as valid Prometheus text', async () => {
    assert.equal((await fetch(`${base}/metrics`)).status, 503);
    await harness.takeSample();
    const sample = await harness.takeSample();
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const { help, type, samples } = parseExposition(text);
    for (const { name } of samples) {
      const family = type.has(name) ? name : name.replace(/_total$/, '');
      assert.ok(help.get(family), `HELP missing for ${name}`);
      assert.ok(type.get(family), `TYPE missing for ${name}`);
    }
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(value('cgroup_usage_memory_working_set_bytes'), sample.memory.used);
    assert.equal(value('cgroup_usage_spec_memory_limit_bytes'), 512 * MiB);
    assert.equal(value('cgroup_usage_oom_events_total'), 2);
    assert.equal(type.get('cgroup_usage_oom_events_total'), 'counter');
    assert.equal(value('cgroup_usage_cpu_usage_seconds_total'), sample.cpu.usageSeconds);
    assert.equal(type.get('cgroup_usage_cpu_usage_seconds_total'), 'counter');
    assert.equal(value('cgroup_usage_spec_cpu_limit_cores'), 0.5);
    // The kernel's cumulative counters, not the sampler's rates.
    assert.equal(value('cgroup_usage_cpu_cfs_periods_total'), sample.cpu.periods);
    assert.equal(value('cgroup_usage_cpu_cfs_throttled_periods_total'), sample.cpu.throttledPeriods);
    assert.equal(type.get('cgroup_usage_cpu_cfs_throttled_periods_total'), 'counter');
    assert.equal(value('cgroup_usage_cpu_cfs_throttled_seconds_total'), sample.cpu.throttledSeconds);
    assert.equal(
      samples.find(s => /used_cores|throttled_ratio/.test(s.name)),
      undefined
    );
    assert.equal(
      value('cgroup_usage_pressure_ratio', { resource: 'cpu', kind: 'some', scope: 'cgroup', window: '10s' }),
      0.015
    );
    assert.equal(value('cgroup_usage_pressure_cpu_waiting_seconds_total', { scope: 'cgroup' }), 2);
    assert.equal(type.get('cgroup_usage_pressure_cpu_waiting_seconds_total'), 'counter');
    assert.equal(value('cgroup_usage_disk_total_bytes', { path: '/home/jovyan' }), 4000);
    assert.equal(
      value('cgroup_usage_info', { source: 'cgroup-v1', memory_limit_source: 'cgroup', cpu_limit_source: 'cgroup' }),
      1
    );
    assert.match(samples.find(s => s.name === 'cgroup_usage_info')?.labels.version ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(value('cgroup_usage_sample_timestamp_seconds'), sample.timestamp / 1000);
    assert.equal(value('cgroup_usage_read_errors'), 1);
    // What the sample does not know is absent, not 0: the memory pressure of this sample is null.
    assert.equal(value('cgroup_usage_pressure_ratio', { resource: 'memory' }), undefined);
    assert.equal(value('cgroup_usage_pressure_memory_waiting_seconds_total'), undefined);
    // Without JUPYTERHUB_USER / JUPYTERHUB_SERVER_NAME there is no such label.
    assert.equal(
      samples.find(s => 'jupyterhub_user' in s.labels || 'jupyterhub_server_name' in s.labels),
      undefined
    );
    const lint = await promtool(text);
    if (lint.found) {
      assert.ok(lint.ok, `promtool check metrics: ${lint.output}`);
    } else {
      console.log('# promtool not installed (Debian package prometheus): exposition checked by the parser only');
    }
  });

  it('labels every series with the JupyterHub user and server name of the environment, when set', async () => {
    const sample = await harness.takeSample();
    const exposition = new PrometheusExposition(
      hubLabels({ JUPYTERHUB_USER: 'al"ice', JUPYTERHUB_SERVER_NAME: 'gpu' })
    );
    const text = await exposition.render(sample);
    const { samples } = parseExposition(text);
    assert.ok(samples.length > 15, `${samples.length} series`);
    for (const { name, labels } of samples) {
      assert.equal(labels.jupyterhub_user, 'al\\"ice', name);
      assert.equal(labels.jupyterhub_server_name, 'gpu', name);
    }
    // The default server's name is empty: no label rather than an empty one.
    assert.deepEqual(hubLabels({ JUPYTERHUB_USER: 'bob', JUPYTERHUB_SERVER_NAME: '' }), { jupyterhub_user: 'bob' });
    assert.deepEqual(hubLabels({}), {});
    const lint = await promtool(text);
    assert.ok(!lint.found || lint.ok, `promtool check metrics: ${lint.output}`);
  });

  it('leaves a null figure out of /metrics instead of exposing 0', async () => {
    /** A cgroup without a CPU quota: no period counters. */
    class NoQuotaReader extends FakeReader {
      override async read(): Promise<Reading> {
        const reading = await super.read();
        return { ...reading, cpu: { ...reading.cpu, periods: null, throttledPeriods: null, throttledSeconds: null } };
      }
    }
    const noQuota = new Harness(new NoQuotaReader());
    try {
      const where = await noQuota.server.listen({ host: '127.0.0.1', port: 0 });
      const sample = await noQuota.takeSample();
      assert.equal(sample.cpu.periods, null);
      const { samples } = parseExposition(await (await fetch(`${where}/metrics`)).text());
      assert.ok(samples.some(s => s.name === 'cgroup_usage_cpu_usage_seconds_total'));
      assert.equal(
        samples.find(s => s.name === 'cgroup_usage_cpu_cfs_periods_total'),
        undefined
      );
      assert.equal(
        samples.find(s => s.name === 'cgroup_usage_cpu_cfs_throttled_periods_total'),
        undefined
      );
      assert.equal(
        samples.find(s => s.name === 'cgroup_usage_cpu_cfs_throttled_seconds_total'),
        undefined
      );
    } finally {
      await noQuota.close();
    }
  });

  it('answers 404 with a JSON error for unknown paths', async () => {
    for (const path of ['/nope', '/api/v1', '/api/v1/metrics/extra', '/api/metrics/v2?x=1']) {
      const answer = await getJson(base + path);
      assert.equal(answer.status, 404, path);
      assert.equal(typeof (answer.body as { error: unknown }).error, 'string');
    }
  });

  it('answers 405 to anything but GET on a route', async () => {
    await harness.takeSample();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(`${base}/api/v1/metrics`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      assert.match(((await response.json()) as { error: string }).error, new RegExp(method));
    }
    assert.equal((await fetch(`${base}/api/v1/metrics`, { method: 'HEAD' })).status, 200);
  });

  it('answers a plain GET on the stream route with 426 and refuses upgrades elsewhere', async () => {
    assert.equal((await getJson(`${base}/api/v1/stream`)).status, 426);
    const client = new WebSocket(`${base.replace('http', 'ws')}/api/v1/nope`);
    const [, response] = (await once(client, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(response.statusCode, 404);
    client.on('error', () => undefined); // terminate() reports the aborted handshake
    client.terminate();
  });

  it('streams the latest sample on connect, then each new one, the same to 50 clients', async () => {
    const first = await harness.takeSample();
    const url = `${base.replace('http', 'ws')}/api/v1/stream?token=x`;
    const clients = Array.from({ length: 50 }, () => new StreamClient(url));
    await Promise.all(clients.map(client => client.received(1)));
    const second = await harness.takeSample();
    await Promise.all(clients.map(client => client.received(2)));
    for (const client of clients) {
      assert.deepEqual(client.messages, [first, second]);
    }
    assert.equal(new Set(clients.map(client => client.messages[1]?.timestamp)).size, 1);
    for (const client of clients) {
      client.socket.terminate();
    }
  });

  it('sends a client that asks for ?interval=3000 every third sample of a 1 s sampler, the others every one', async () => {
    await harness.takeSample();
    const ws = base.replace('http', 'ws');
    const every = new StreamClient(`${ws}/api/v1/stream`);
    const paced = new StreamClient(`${ws}/api/v1/stream?interval=3000&token=x`);
    await Promise.all([every.received(1), paced.received(1)]);
    for (let i = 0; i < 7; i++) {
      await harness.takeSample();
    }
    await Promise.all([every.received(8), paced.received(3)]);
    const all = every.messages;
    assert.deepEqual(paced.messages, [all[0], all[3], all[6]]);
    every.socket.terminate();
    paced.socket.terminate();
  });

  it('reads only when a paced client is due a sample while only paced clients stream, every tick otherwise', async () => {
    await harness.takeSample();
    const ws = base.replace('http', 'ws');
    const paced = new StreamClient(`${ws}/api/v1/stream?interval=3000`);
    await paced.received(1);
    const before = harness.reader.reads;
    await tickIntervals(9);
    assert.equal(harness.reader.reads - before, 3);
    await paced.received(4);
    const gaps = paced.messages.slice(1).map((sample, i) => sample.timestamp - (paced.messages[i] as Sample).timestamp);
    assert.deepEqual(gaps, [3000, 3000, 3000]);

    // A client that wants every sample (a details view) brings every tick's read back.
    const every = new StreamClient(`${ws}/api/v1/stream`);
    await every.received(1);
    const withEvery = harness.reader.reads;
    await tickIntervals(3);
    assert.equal(harness.reader.reads - withEvery, 3);
    every.socket.terminate();
    paced.socket.terminate();
  });

  it('reads every tick again for two minutes after an HTTP request, paced clients or not', async () => {
    await harness.takeSample();
    const ws = base.replace('http', 'ws');
    const paced = new StreamClient(`${ws}/api/v1/stream?interval=3000`);
    await paced.received(1);
    assert.equal((await getJson(`${base}/api/v1/metrics`)).status, 200);
    const afterPoll = harness.reader.reads;
    await tickIntervals(6);
    assert.equal(harness.reader.reads - afterPoll, 6);
    // 120 s after the request only the paced client's due samples are read again.
    await tickIntervals(120);
    const quiet = harness.reader.reads;
    await tickIntervals(9);
    assert.equal(harness.reader.reads - quiet, 3);
    paced.socket.terminate();
  });

  it('refuses a stream upgrade whose interval is not a whole number from 1 to 3600000 with 400 and the reason', async () => {
    for (const interval of ['abc', '0', '-5', '1.5', '1e3', '', '3600001', '99999999999999999999']) {
      const client = new WebSocket(`${base.replace('http', 'ws')}/api/v1/stream?interval=${interval}`);
      const [, response] = (await once(client, 'unexpected-response')) as [unknown, http.IncomingMessage];
      assert.equal(response.statusCode, 400, interval);
      let body = '';
      for await (const chunk of response) {
        body += String(chunk);
      }
      assert.equal(
        (JSON.parse(body) as { error: string }).error,
        `interval must be a whole number of milliseconds from 1 to 3600000, got ${JSON.stringify(interval)}`
      );
      client.on('error', () => undefined);
      client.terminate();
    }
    const accepted = new StreamClient(`${base.replace('http', 'ws')}/api/v1/stream?interval=3600000`);
    await once(accepted.socket, 'open');
    accepted.socket.terminate();
  });

  it('keeps streaming to the others when a client disconnects mid-stream', async () => {
    await harness.takeSample();
    const url = `${base.replace('http', 'ws')}/api/v1/stream`;
    const clients = Array.from({ length: 5 }, () => new StreamClient(url));
    await Promise.all(clients.map(client => client.received(1)));
    const [leaving, ...staying] = clients as [StreamClient, ...StreamClient[]];
    // Gone without a close handshake, before the server noticed: the next broadcast still targets it.
    leaving.socket.terminate();
    const second = await harness.takeSample();
    const third = await harness.takeSample();
    await Promise.all(staying.map(client => client.received(3)));
    for (const client of staying) {
      assert.deepEqual(client.messages.slice(1), [second, third]);
      client.socket.terminate();
    }
    assert.equal(leaving.messages.length, 1);
    assert.equal((await getJson(`${base}/api/v1/metrics`)).status, 200);
  });

  it('drops WebSocket clients when it closes', async () => {
    await harness.takeSample();
    const client = new StreamClient(`${base.replace('http', 'ws')}/api/v1/stream`);
    await client.received(1);
    const closed = once(client.socket, 'close');
    await harness.server.close();
    await closed;
  });
});

describe('HTTP server on a Unix socket', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidecar-server-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('listens with mode 0600, serves the routes and removes the socket file on close', async () => {
    const socketPath = join(dir, 'sidecar.sock');
    const server = new SidecarServer(new Sampler(new FakeReader(), INTERVAL_MS));
    assert.equal(await server.listen({ unixSocket: socketPath }), `unix:${socketPath}`);
    const stats = await stat(socketPath);
    assert.ok(stats.isSocket());
    assert.equal(stats.mode & 0o777, 0o600);
    assert.equal((await getOverSocket(socketPath, '/')).status, 200);
    assert.equal((await getOverSocket(socketPath, '/api/v1/metrics')).status, 503);
    await server.close();
    await assert.rejects(stat(socketPath), { code: 'ENOENT' });
  });

  it('replaces a stale socket file left by a dead sidecar', async () => {
    const socketPath = join(dir, 'stale.sock');
    // A process killed with SIGKILL leaves its socket file behind with nobody listening.
    const dead = spawn(process.execPath, [
      '-e',
      "require('net').createServer().listen(process.argv[1], () => console.log('ready'))",
      socketPath
    ]);
    await once(dead.stdout, 'data');
    const exited = once(dead, 'exit');
    dead.kill('SIGKILL');
    await exited;
    assert.ok((await stat(socketPath)).isSocket());
    const server = new SidecarServer(new Sampler(new FakeReader(), INTERVAL_MS));
    await server.listen({ unixSocket: socketPath });
    assert.equal((await getOverSocket(socketPath, '/')).status, 200);
    await server.close();
  });

  it('refuses a path in use by a live server or that is not a socket', async () => {
    const live = join(dir, 'live.sock');
    const first = new SidecarServer(new Sampler(new FakeReader(), INTERVAL_MS));
    await first.listen({ unixSocket: live });
    const second = new SidecarServer(new Sampler(new FakeReader(), INTERVAL_MS));
    await assert.rejects(second.listen({ unixSocket: live }), /in use/);
    assert.equal((await getOverSocket(live, '/')).status, 200);
    await first.close();
    const file = join(dir, 'file');
    await writeFile(file, 'keep me');
    await assert.rejects(second.listen({ unixSocket: file }), /not a socket/);
    assert.ok((await stat(file)).isFile());
  });
});

/** Readings of about 50 KB each, to fill a stuck client's buffers quickly. */
class BigReader extends FakeReader {
  override async read(): Promise<Reading> {
    const reading = await super.read();
    reading.errors.push('x'.repeat(50_000));
    return reading;
  }
}

describe('a WebSocket client that stops reading', () => {
  let dir: string;

  beforeEach(async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    dir = await mkdtemp(join(tmpdir(), 'sidecar-stuck-'));
  });

  afterEach(async () => {
    mock.timers.reset();
    await rm(dir, { recursive: true, force: true });
  });

  it('skips samples once 1 MiB is queued for it and does not hold up the others', async () => {
    // Its 100 mocked seconds would otherwise see the stuck client dropped by the heartbeat.
    const harness = new Harness(new BigReader(), { pingIntervalMs: 3_600_000 });
    // A Unix socket: its kernel buffers are small (~200 KB), so the server's own queue fills.
    const socketPath = join(dir, 'stuck.sock');
    await harness.server.listen({ unixSocket: socketPath });
    const healthy = new StreamClient(`ws+unix://${socketPath}:/api/v1/stream`);
    await once(healthy.socket, 'open');
    const stuck = net.connect(socketPath);
    stuck.write(
      'GET /api/v1/stream HTTP/1.1\r\nHost: sidecar\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    );
    const [handshake] = (await once(stuck, 'data')) as [Buffer];
    assert.match(handshake.toString(), /^HTTP\/1\.1 101/);
    stuck.pause();
    const samples = 100;
    for (let i = 1; i <= samples; i++) {
      await harness.takeSample();
      await healthy.received(i); // a client that keeps up gets every sample
    }
    assert.equal(healthy.messages.length, samples);
    // Resumed, it drains what was queued for it; take samples until one taken now reaches it.
    let received = '';
    stuck.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
    stuck.resume();
    const takenSinceResume: string[] = [];
    const caughtUp = (): boolean => takenSinceResume.some(marker => received.includes(marker));
    while (!caughtUp() && takenSinceResume.length < 200) {
      const sample = await harness.takeSample();
      takenSinceResume.push(`"used":${sample.memory.used},`);
      await healthy.received(samples + takenSinceResume.length);
    }
    assert.ok(caughtUp(), 'the stuck client never caught up');
    // Of the samples taken while it was stuck, those beyond its kernel buffers and 1 MiB
    // (about 20 of 50 KB) were never queued for it; the healthy client got every one.
    const whileStuck = healthy.messages
      .slice(0, samples)
      .filter(sample => received.includes(`"used":${sample.memory.used},`)).length;
    assert.ok(whileStuck < samples - 20, `the stuck client got ${whileStuck} of the ${samples} samples`);
    assert.equal(healthy.messages.length, samples + takenSinceResume.length);
    stuck.destroy();
    await harness.close();
  });
});

describe('WebSocket heartbeat', () => {
  it('drops a client that does not answer pings and keeps one that does', { timeout: 10_000 }, async () => {
    const server = new SidecarServer(new Sampler(new FakeReader(), INTERVAL_MS), { pingIntervalMs: 50 });
    const base = (await server.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const answering = new WebSocket(`${base}/api/v1/stream`);
    // A peer gone without a close frame, as after a network cut: it never answers.
    const silent = new WebSocket(`${base}/api/v1/stream`, { autoPong: false });
    await Promise.all([once(answering, 'open'), once(silent, 'open')]);
    let pings = 0;
    const threePings = new Promise<void>(resolve =>
      answering.on('ping', () => {
        if (++pings === 3) resolve();
      })
    );
    silent.on('ping', () => undefined);
    const [code] = (await once(silent, 'close')) as [number];
    assert.equal(code, 1006, 'terminated without a close handshake');
    await threePings;
    assert.equal(answering.readyState, WebSocket.OPEN);
    answering.close();
    await server.close();
  });
});
