/**
 * The CLI from outside, as scripts and jupyter-server-proxy run it: spawned with tsx (what
 * `npm run sidecar` runs) and as the esbuild bundle the wheel ships, run from a directory
 * with no node_modules.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import type { Sample } from '../../src/sample.js';
import { assertContractSample } from './contract-shape.js';
import { inSignalMask, tcpListeningPorts, untilPending } from '../helpers/proc-probe.js';
import { getOverSocket } from './unix-http.js';

const ROOT = resolve(__dirname, '../..');
const TSX_CLI = ['--import', 'tsx', join(ROOT, 'sidecar/src/cli.ts')];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise(resolvePromise =>
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }))
  );
}

function run(command: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): Promise<Finished> {
  return collect(spawn(process.execPath, command, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

interface Running {
  child: ChildProcess;
  where: string;
  finished: Promise<Finished>;
  /** Resolves with the first match of `pattern` in what the sidecar printed on stderr, from its start. */
  stderrMatch(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Starts a serving sidecar and resolves once it printed where it listens. */
function start(command: string[], cwd = ROOT): Promise<Running> {
  const child = spawn(process.execPath, command, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const finished = collect(child);
  let seen = '';
  const stderrMatch = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolveMatch, reject) => {
      const check = (): void => {
        const match = pattern.exec(seen);
        if (match) {
          child.stderr?.off('data', check);
          resolveMatch(match);
        }
      };
      child.stderr?.on('data', check);
      void finished.then(result => reject(new Error(`sidecar exited without printing ${pattern}: ${result.stderr}`)));
      check();
    });
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  return stderrMatch(/listening on (\S+)\n/).then(match => ({
    child,
    where: match[1] as string,
    finished,
    stderrMatch
  }));
}

/** The exit status the shell convention gives a process that stops because of `signal`. */
function statusAfter(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * Starts `command` on `socketPath` and sends SIGUSR1: no TCP port may open. With
 * --disable-sigusr1 Node blocks the signal in every thread (it stays pending, never acted
 * on); otherwise the sidecar's listener logs it.
 */
async function assertIgnoresSigusr1(command: string[], socketPath: string, cwd = ROOT): Promise<void> {
  const sidecar = await start([...command, '--unix-socket', socketPath], cwd);
  const { SIGUSR1 } = constants.signals;
  const blocked = inSignalMask(sidecar.child.pid!, 'SigBlk', SIGUSR1);
  assert.equal(blocked, command.includes('--disable-sigusr1'));
  sidecar.child.kill('SIGUSR1');
  await (blocked
    ? untilPending(sidecar.child.pid!, SIGUSR1)
    : sidecar.stderrMatch(/SIGUSR1 ignored \(the inspector is disabled\)/));
  assert.deepEqual(tcpListeningPorts(sidecar.child.pid!), [], command.join(' '));
  assert.equal((await getOverSocket(socketPath, '/api/v1/metrics')).status, 200);
  sidecar.child.kill('SIGTERM');
  assert.equal((await sidecar.finished).code, 143);
}

/** Whether `node` accepts --disable-sigusr1 (Node 22.14/23.7 and later). */
const HAS_DISABLE_SIGUSR1 = spawnSync(process.execPath, ['--disable-sigusr1', '--version']).status === 0;

/** The first sample the stream sends that was taken after `timestamp`. */
async function streamedAfter(url: string, timestamp: number): Promise<Sample> {
  const client = new WebSocket(url);
  try {
    for (;;) {
      const [data] = (await once(client, 'message')) as [Buffer];
      const sample = JSON.parse(data.toString()) as Sample;
      if (sample.timestamp > timestamp) return sample;
    }
  } finally {
    client.terminate();
  }
}

/** The first sample the stream sends: the cached one, or the first taken after connecting. */
async function firstStreamed(url: string): Promise<Sample> {
  const client = new WebSocket(url);
  const [data] = (await once(client, 'message')) as [Buffer];
  client.terminate();
  return JSON.parse(data.toString()) as Sample;
}

describe('cgroup-usage-sidecar CLI', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidecar-cli-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help prints every option of the contract and exits 0', async () => {
    const result = await run([...TSX_CLI, '--help']);
    assert.equal(result.code, 0);
    for (const option of [
      '--once',
      '--unix-socket PATH',
      '--port N',
      '--host H',
      '--interval MS',
      '--proc-root DIR',
      '--sys-root DIR',
      '--disk-path PATH',
      '--metrics-port N',
      '--metrics-address H'
    ]) {
      assert.ok(result.stdout.includes(option), option);
    }
  });

  const badOptions: [string[], string][] = [
    [['--bogus'], '--bogus'],
    [['--port', 'http'], '--port'],
    [['--port', '70000'], '--port'],
    [['--port'], '--port'],
    [['--interval', '0'], '--interval'],
    [['--interval', 'fast'], '--interval'],
    [['--once=yes'], '--once'],
    [['--proc-root', '/no/such/dir'], '--proc-root'],
    [['--sys-root', '/etc/hostname'], '--sys-root'],
    [['--unix-socket', 'x.sock', '--port', '1'], '--unix-socket'],
    [['--metrics-port', '65536'], '--metrics-port'],
    [['--metrics-port', 'prom'], '--metrics-port'],
    [['--metrics-address', '0.0.0.0'], '--metrics-address'],
    [['--metrics-port', '1', '--metrics-address', ''], '--metrics-address'],
    [['stray'], 'stray']
  ];
  for (const [args, named] of badOptions) {
    it(`exits 2 with one line naming ${named} for: ${args.join(' ')}`, async () => {
      const result = await run([...TSX_CLI, ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      const lines = result.stderr.split('\n').filter(line => line !== '');
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]?.includes(named), lines[0]);
    });
  }

  it('--once prints one contract sample, with CPU in use measured, and exits 0', async () => {
    const result = await run([...TSX_CLI, '--once', '--disk-path', dir]);
    assert.equal(result.code, 0, result.stderr);
    const sample = assertContractSample(JSON.parse(result.stdout));
    assert.equal(typeof sample.cpu.used, 'number');
    assert.ok((sample.cpu.used as number) >= 0);
    assert.equal(sample.disk?.path, dir);
  });

  it('serves on a Unix socket (0600) and removes it on SIGTERM, exiting 143 (so a supervisor restarts it)', async () => {
    const socketPath = join(dir, 'term.sock');
    const sidecar = await start([...TSX_CLI, '--unix-socket', socketPath, '--interval', '200']);
    assert.equal(sidecar.where, `unix:${socketPath}`);
    assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
    const streamed = assertContractSample(await firstStreamed(`ws+unix://${socketPath}:/api/v1/stream`));
    const latest = await getOverSocket(socketPath, '/api/v1/metrics');
    assert.equal(latest.status, 200);
    assert.ok(assertContractSample(JSON.parse(latest.body)).timestamp >= streamed.timestamp);
    sidecar.child.kill('SIGTERM');
    const result = await sidecar.finished;
    assert.equal(result.code, 143, result.stderr);
    await assert.rejects(stat(socketPath), { code: 'ENOENT' });
  });

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`stops on ${signal} the same way, exiting ${statusAfter(signal)}`, async () => {
      const socketPath = join(dir, `${signal}.sock`);
      const sidecar = await start([...TSX_CLI, '--unix-socket', socketPath]);
      sidecar.child.kill(signal);
      const result = await sidecar.finished;
      assert.deepEqual([result.code, result.signal], [statusAfter(signal), null], result.stderr);
      await assert.rejects(stat(socketPath), { code: 'ENOENT' });
    });
  }

  it('logs an uncaught exception or unhandled rejection on one line and keeps serving', async () => {
    const socketPath = join(dir, 'escaping.sock');
    const preload = join(ROOT, 'test/sidecar/escaping-errors.ts');
    const sidecar = await start([
      '--import',
      'tsx',
      '--import',
      preload,
      TSX_CLI[2] as string,
      '--unix-socket',
      socketPath,
      '--interval',
      '100'
    ]);
    const latestTimestamp = async (): Promise<number> => {
      const response = await getOverSocket(socketPath, '/api/v1/metrics');
      assert.equal(response.status, 200);
      return assertContractSample(JSON.parse(response.body)).timestamp;
    };
    for (const [signal, line] of [
      [
        'SIGUSR2',
        /^cgroup-usage-sidecar: uncaught exception \(still serving\): Error: thrown by the test \\n +at .*$/m
      ],
      [
        'SIGWINCH',
        /^cgroup-usage-sidecar: unhandled rejection \(still serving\): Error: rejected by the test \\n +at .*$/m
      ]
    ] as const) {
      const before = await latestTimestamp();
      sidecar.child.kill(signal);
      await sidecar.stderrMatch(line);
      // Still sampling and answering: a newer sample arrives on the stream and over HTTP.
      const newer = await streamedAfter(`ws+unix://${socketPath}:/api/v1/stream`, before);
      assert.ok((await latestTimestamp()) >= newer.timestamp);
    }
    assert.equal(sidecar.child.exitCode, null);
    sidecar.child.kill('SIGTERM');
    assert.equal((await sidecar.finished).code, 143);
  });

  it(`ignores SIGUSR1: no inspector opens${HAS_DISABLE_SIGUSR1 ? ' (with and without --disable-sigusr1)' : ''}`, async () => {
    // The check itself can fail: a plain Node opens its inspector (on a free port here) on SIGUSR1.
    const control = spawn(
      process.execPath,
      ['--inspect-port=0', '-e', "console.error('running'); setInterval(() => {}, 1000)"],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    const controlOutput = collect(control);
    const controlErr = (pattern: RegExp): Promise<unknown> =>
      new Promise(resolveSeen => {
        let seen = '';
        control.stderr!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (pattern.test(seen)) resolveSeen(seen);
        });
      });
    // Node's own SIGUSR1 handler is in place before the script runs.
    await controlErr(/running/);
    const listening = controlErr(/Debugger listening/);
    control.kill('SIGUSR1');
    await listening;
    assert.ok(tcpListeningPorts(control.pid!).length > 0, 'the control opened an inspector port');
    control.kill('SIGKILL');
    await controlOutput;

    const variants = HAS_DISABLE_SIGUSR1 ? [[], ['--disable-sigusr1']] : [[]];
    for (const flags of variants) {
      await assertIgnoresSigusr1([...flags, ...TSX_CLI], join(dir, `usr1-${flags.length}.sock`));
    }
  });

  it('answers request targets the URL parser rejects with 400, as GET, HEAD, POST and upgrades, and keeps serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cgroup-usage-malformed-'));
    const socketPath = join(dir, 'sidecar.sock');
    const targets = ['//[', 'http://a:99999/', '//a%00b/', '/api/v1/metrics/..%2F//['];
    const requests = targets.flatMap(target => [
      ...['GET', 'HEAD', 'POST'].map(method => `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
    ]);
    for (const listen of [
      ['--unix-socket', socketPath],
      ['--port', '0']
    ]) {
      const sidecar = await start([...TSX_CLI, ...listen]);
      const connect = (): net.Socket =>
        listen[0] === '--port'
          ? net.connect(Number(new URL(sidecar.where).port), '127.0.0.1')
          : net.connect(socketPath);
      for (const request of requests) {
        const socket = connect().setEncoding('utf8');
        socket.end(request);
        let answer = '';
        socket.on('data', (chunk: string) => (answer += chunk));
        await once(socket, 'close');
        const statusLine = answer.split('\r\n', 1)[0];
        // A URL the parser refuses is a malformed target (400); one it accepts is simply no route (404).
        assert.match(
          statusLine ?? '',
          /^HTTP\/1\.1 40[04] /,
          `${JSON.stringify(request)} got ${JSON.stringify(answer)}`
        );
      }
      const response = await (listen[0] === '--port'
        ? fetch(`${sidecar.where}/api/v1/metrics`).then(r => ({ status: r.status }))
        : getOverSocket(socketPath, '/api/v1/metrics'));
      assert.ok([200, 503].includes(response.status), `metrics answered ${response.status} afterwards`);
      assert.equal(sidecar.child.exitCode, null, 'the sidecar is still running');
      sidecar.child.kill('SIGTERM');
      const finished = await sidecar.finished;
      assert.doesNotMatch(finished.stderr, /still serving/, 'no error escaped to the last resort');
    }
    await rm(dir, { recursive: true, force: true });
  });

  // 30 s: three times the sidecar's 10 s, half of Node's default 60 s (which this must not rely on).
  it(
    'drops a client that never finishes its request (slowloris) or sends nothing, and keeps serving',
    { timeout: 30_000 },
    async () => {
      const sidecar = await start([...TSX_CLI]);
      const port = Number(new URL(sidecar.where).port);
      const dropped = async (firstBytes: string): Promise<string> => {
        const socket = net.connect(port, '127.0.0.1').setEncoding('utf8');
        socket.write(firstBytes);
        // Trickle a header byte each second: activity must not keep the request alive.
        const trickle = setInterval(() => firstBytes !== '' && socket.writable && socket.write('X'), 1000);
        let answer = '';
        // Once the answer arrives, stop writing: a byte landing after the server's close makes the
        // kernel reset the connection, which is not the server's doing.
        socket.on('data', (chunk: string) => ((answer += chunk), clearInterval(trickle)));
        socket.on('error', () => undefined);
        // Not events.once: it rejects on 'error', and a reset after the 408 is still a drop.
        await new Promise(closed => socket.once('close', closed));
        clearInterval(trickle);
        return answer;
      };
      const [slow, silent] = await Promise.all([
        dropped('GET /api/v1/metrics HTTP/1.1\r\nHost: x\r\nX-Slow: '),
        dropped('')
      ]);
      assert.match(slow, /^HTTP\/1\.1 408 /);
      assert.match(silent, /^HTTP\/1\.1 408 /);
      assert.equal((await fetch(`${sidecar.where}/`)).status, 200);
      sidecar.child.kill('SIGTERM');
      assert.equal((await sidecar.finished).code, 143);
    }
  );

  it('listens on a free TCP port of 127.0.0.1 by default', async () => {
    const sidecar = await start([...TSX_CLI]);
    assert.match(sidecar.where, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const response = await fetch(`${sidecar.where}/`);
    assert.equal(response.status, 200);
    sidecar.child.kill('SIGTERM');
    assert.equal((await sidecar.finished).code, 143);
  });

  it('exits 1 with one line when the port is taken', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as net.AddressInfo;
    const result = await run([...TSX_CLI, '--port', String(port)]);
    taken.close();
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n').filter(line => line !== '');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, /cannot listen: .*EADDRINUSE/);
  });
});

describe('--metrics-port: the scrape-only listener', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidecar-scrape-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves /metrics alone on the port, every route still on the socket; SIGTERM closes both', async () => {
    const socketPath = join(dir, 'scrape.sock');
    const sidecar = await start([...TSX_CLI, '--unix-socket', socketPath, '--metrics-port', '0', '--interval', '200']);
    const scrape = (await sidecar.stderrMatch(/serving \/metrics for scraping on (\S+)\n/))[1] as string;
    assert.match(scrape, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    // The first sample may still be in progress: 503 with Retry-After until it exists.
    const deadline = Date.now() + 10_000;
    let metrics = await fetch(`${scrape}/metrics`);
    while (metrics.status === 503 && Date.now() < deadline) {
      await delay(50);
      metrics = await fetch(`${scrape}/metrics`);
    }
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /^cgroup_usage_memory_working_set_bytes(\{[^}]*\})? \d+$/m);
    for (const path of ['/', '/api/v1/metrics', '/api/v1/history', '/api/metrics/v1', '/api/v1/stream', '/metricsx']) {
      const response = await fetch(`${scrape}${path}`);
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), { error: `no such route: ${path}` });
    }
    assert.equal((await getOverSocket(socketPath, '/api/v1/metrics')).status, 200);
    sidecar.child.kill('SIGTERM');
    assert.equal((await sidecar.finished).code, 143);
    await assert.rejects(fetch(`${scrape}/metrics`));
  });

  it('exits 1 with one line when the metrics port is taken', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as net.AddressInfo;
    const result = await run([...TSX_CLI, '--unix-socket', join(dir, 'taken.sock'), '--metrics-port', String(port)]);
    taken.close();
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n').filter(line => line !== '');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, /cannot listen: .*EADDRINUSE/);
  });
});

describe('the esbuild bundle, outside the checkout', () => {
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidecar-bundle-'));
    const built = join(dir, 'built.js');
    // The package's own build script, with the output redirected away from the checkout.
    await promisify(execFile)('npm', ['run', '--silent', 'build:sidecar', '--', `--outfile=${built}`], { cwd: ROOT });
    bundle = join(dir, 'cgroup-usage-sidecar.js');
    await copyFile(built, bundle);
    await rm(built);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs --once with no node_modules around', async () => {
    await assert.rejects(stat(join(dir, 'node_modules')));
    const result = await run([bundle, '--once'], dir);
    assert.equal(result.code, 0, result.stderr);
    const sample = assertContractSample(JSON.parse(result.stdout));
    assert.equal(sample.disk?.path, dir);
  });

  it('ignores SIGUSR1 too (bundling keeps the listener, which must come first)', async () => {
    await assertIgnoresSigusr1([bundle], join(dir, 'usr1.sock'), dir);
  });

  it('runs as the package bin (hashbang)', async () => {
    await chmod(bundle, 0o755);
    const result = await collect(spawn(bundle, ['--help'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: cgroup-usage-sidecar/);
  });

  it('serves Prometheus text and the stream (prom-client and ws bundled), stops on SIGTERM (143)', async () => {
    const sidecar = await start([bundle, '--port', '0', '--interval', '200'], dir);
    const sample = await firstStreamed(`${sidecar.where.replace('http', 'ws')}/api/v1/stream`);
    assertContractSample(sample);
    const response = await fetch(`${sidecar.where}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^cgroup_usage_spec_memory_limit_bytes \d+$/m);
    sidecar.child.kill('SIGTERM');
    assert.equal((await sidecar.finished).code, 143);
  });
});

/**
 * `--once` over the readers' fixture trees: the sample must carry their expected Reading
 * (test/sidecar/fixtures/<case>/expected.json, same normalisation of paths and disk figures),
 * with the derived figures (CPU in use, throttled ratio) added. The files do not change
 * between the two reads, so CPU in use is 0 where usage is known and no period elapsed.
 */
describe('--once over the fixture trees', () => {
  const fixtures = join(ROOT, 'test/sidecar/fixtures');
  const cases = existsSync(fixtures)
    ? readdirSync(fixtures).filter(name => existsSync(join(fixtures, name, 'expected.json')))
    : [];

  it('has fixture trees to run over', () => {
    assert.ok(cases.length > 0);
  });

  for (const name of cases) {
    it(name, async () => {
      const caseDir = join(fixtures, name);
      const casePath = join(caseDir, 'case.json');
      const fixtureCase = (existsSync(casePath) ? JSON.parse(readFileSync(casePath, 'utf8')) : {}) as {
        env?: Record<string, string>;
        diskPath?: string;
      };
      const env: NodeJS.ProcessEnv = { ...process.env, ...fixtureCase.env };
      if (fixtureCase.env?.MEM_LIMIT === undefined) delete env.MEM_LIMIT;
      if (fixtureCase.env?.CPU_LIMIT === undefined) delete env.CPU_LIMIT;
      const result = await run(
        [
          ...TSX_CLI,
          '--once',
          '--proc-root',
          join(caseDir, 'proc'),
          '--sys-root',
          join(caseDir, 'sys'),
          '--disk-path',
          join(caseDir, fixtureCase.diskPath ?? '')
        ],
        ROOT,
        env
      );
      assert.equal(result.code, 0, result.stderr);
      const sample = assertContractSample(JSON.parse(result.stdout));
      const { version, timestamp, cpu, ...rest } = sample;
      assert.equal(version, 1);
      assert.ok(timestamp > 0);
      const { used, throttledRatio, ...cpuRest } = cpu;
      assert.equal(used, cpu.usageSeconds === null ? null : 0);
      assert.equal(throttledRatio, null);
      const disk = rest.disk && { ...rest.disk, used: '<statfs>', total: '<statfs>' };
      const actual = JSON.parse(
        JSON.stringify({ ...rest, cpu: cpuRest, disk })
          .split(caseDir)
          .join('<fixture>')
      );
      const expected = JSON.parse(readFileSync(join(caseDir, 'expected.json'), 'utf8'));
      assert.deepEqual(actual, expected);
    });
  }
});
