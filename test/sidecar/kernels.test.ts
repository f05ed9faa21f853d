/**
 * Per-kernel figures from a fixture /proc tree (proc-fixtures/kernels): kernels of four
 * languages below a Jupyter server (pid 100), children, a wrapper, a kernel of another server,
 * a vanished entry and a malformed one; then the HTTP routes over the same tree.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KernelPssResponse, KernelsResponse } from '../../src/sample.js';
import { KernelScanner, kernelIdOf } from '../../sidecar/src/kernels.js';
import { DEFAULT_CONSTANTS, parseAuxv, parseCmdline, parseProcStat } from '../../sidecar/src/processes.js';
import { PssBusy, PssMeter } from '../../sidecar/src/pss.js';
import { Sampler } from '../../sidecar/src/sampler.js';
import { SidecarServer } from '../../sidecar/src/server.js';
import { FakeReader } from '../helpers/fake-reader.js';

const FIXTURE = join(__dirname, 'proc-fixtures', 'kernels');
const PAGE = 4096;
const id = (n: number) => `0f1e2d3c-aaaa-4bbb-8ccc-00000000000${n}`;
const IPYKERNEL = id(1);
const IRKERNEL = id(2);
const IJULIA = id(3);
const XEUS = id(4);
const OTHER_SERVER = id(5);

function scanner(procRoot = FIXTURE, clock = () => 0): KernelScanner {
  return new KernelScanner({
    procRoot,
    serverPid: 100,
    constants: { pageSize: PAGE, clockTicks: 100 },
    monotonicMs: clock
  });
}

describe('parsers of /proc', () => {
  it('reads a stat line whose command name holds spaces and parentheses', () => {
    const line = '5 (a) b (c)) R 1 5 5 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 99 1000 42 0 0\n';
    assert.deepEqual(parseProcStat(line), {
      pid: 5,
      ppid: 1,
      comm: 'a) b (c)',
      cpuTicks: 10,
      startTicks: 99,
      rssPages: 42
    });
  });

  it('refuses a stat line cut short or not numeric', () => {
    assert.equal(parseProcStat('5 (x) R 1 5\n'), null);
    assert.equal(parseProcStat('garbage\n'), null);
    assert.equal(parseProcStat('5 (x) R 1 5 5 0 -1 0 0 0 0 0 x 3 0 0 20 0 1 0 99 1000 42 0\n'), null);
  });

  it('splits a command line on NULs', () => {
    assert.deepEqual(parseCmdline('python\0-f\0/k.json\0'), ['python', '-f', '/k.json']);
  });

  it('finds the kernel id in every launcher spelling of the connection file', () => {
    assert.equal(kernelIdOf(['python', '-m', 'ipykernel_launcher', '-f', '/r/kernel-abc-1.json']), 'abc-1');
    assert.equal(kernelIdOf(['R', '--args', 'kernel-abc.json']), 'abc');
    assert.equal(kernelIdOf(['wrapper', '--connection-file=/r/kernel-abc.json']), 'abc');
    assert.equal(kernelIdOf(['python', '/r/kernel-abc.json.bak']), null);
    assert.equal(kernelIdOf(['python', '/r/mykernel-abc.json']), null);
    assert.equal(kernelIdOf(['jupyter-lab']), null);
  });

  it('reads the page size and clock rate from an auxiliary vector', () => {
    const auxv = Buffer.alloc(48);
    [6n, 65536n, 17n, 250n, 0n, 0n].forEach((word, index) => auxv.writeBigUInt64LE(word, index * 8));
    assert.deepEqual(parseAuxv(auxv), { pageSize: 65536, clockTicks: 250 });
  });
});

describe('kernels in a fixture /proc tree', () => {
  it('lists the four kernels below the server, largest first, with their trees', async () => {
    const answer = await scanner().scan();
    assert.deepEqual(
      answer.kernels.map(({ id, pid, command, rss, cpu, processes }) => ({ id, pid, command, rss, cpu, processes })),
      [
        // 200 and its children 201, 202 and grandchild 203 (701 vanished: not counted).
        {
          id: IPYKERNEL,
          pid: 200,
          command: 'python',
          rss: (262144 + 131072 * 2 + 256) * PAGE,
          cpu: null,
          processes: 4
        },
        // The wrapper is the topmost process naming the file: it and julia below it are the kernel.
        { id: IJULIA, pid: 400, command: 'bash', rss: (800 + 76800) * PAGE, cpu: null, processes: 2 },
        { id: IRKERNEL, pid: 300, command: 'R', rss: 25600 * PAGE, cpu: null, processes: 1 },
        { id: XEUS, pid: 500, command: 'xpy (a) b', rss: 12800 * PAGE, cpu: null, processes: 1 }
      ]
    );
    assert.equal(answer.serverPid, 100);
    assert.ok(!answer.kernels.some(kernel => kernel.id === OTHER_SERVER), 'a kernel of another server is not ours');
    assert.deepEqual(answer.errors, [
      '1 processes could not be read (pid 800: stat malformed); kernels among them are not listed'
    ]);
  });

  it('says so when the server is not there, and lists nothing', async () => {
    const answer = await new KernelScanner({ procRoot: FIXTURE, serverPid: 4242 }).scan();
    assert.deepEqual(answer.kernels, []);
    assert.ok(answer.errors.includes(`the Jupyter server (pid 4242) is not in ${FIXTURE}`), answer.errors.join());
  });

  it('answers no kernels with the reason on a system without /proc', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    try {
      const answer = await new KernelScanner({ procRoot: '/proc', serverPid: 1, constants: DEFAULT_CONSTANTS }).scan();
      assert.deepEqual(answer.kernels, []);
      assert.deepEqual(answer.errors, ["per-kernel figures need Linux's /proc; this is darwin"]);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });

  it('says so when /proc cannot be listed', async () => {
    const answer = await new KernelScanner({ procRoot: join(FIXTURE, 'nonexistent'), serverPid: 100 }).scan();
    assert.deepEqual(answer.kernels, []);
    assert.ok(
      answer.errors.some(error => error.startsWith('cannot list')),
      answer.errors.join()
    );
  });

  describe('over time (a copy of the tree, rewritten)', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'kernels-proc-'));
      await cp(FIXTURE, root, { recursive: true });
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('measures CPU in use from the ticks between two answers, across a child that exits and one that starts', async () => {
      let now = 0;
      const kernels = scanner(root, () => now);
      await kernels.scan();
      // 2 s later: 200 spent 150 more ticks, 201 (and its child 203) exited, 204 started with 50 ticks.
      now = 2000;
      const stat = (pid: number, ppid: number, ticks: number, start: number, rss: number) =>
        `${pid} (python) S ${ppid} 1 1 0 -1 0 0 0 0 0 ${ticks} 0 0 0 20 0 1 0 ${start} 1 ${rss} 0 0\n`;
      await writeFile(join(root, '200', 'stat'), stat(200, 100, 750, 2000, 262144));
      await rm(join(root, '201'), { recursive: true });
      await rm(join(root, '203'), { recursive: true });
      await cp(join(root, '202'), join(root, '204'), { recursive: true });
      await writeFile(join(root, '204', 'stat'), stat(204, 200, 50, 9000, 1000));
      const answer = await kernels.scan();
      const ipykernel = answer.kernels.find(kernel => kernel.id === IPYKERNEL);
      assert.equal(ipykernel?.processes, 3);
      assert.equal(ipykernel?.cpu, (150 + 50) / 100 / 2);
      assert.equal(answer.kernels.find(kernel => kernel.id === IRKERNEL)?.cpu, 0);
    });

    it('leaves out a kernel whose process vanished before its command line was read', async () => {
      await rm(join(root, '300', 'cmdline'));
      const answer = await scanner(root).scan();
      assert.deepEqual(answer.kernels.map(kernel => kernel.id).sort(), [IPYKERNEL, IJULIA, XEUS].sort());
    });
  });
});

describe('PSS of one kernel', () => {
  it('sums smaps_rollup over the tree; a process gone before the read counts as unreadable', async () => {
    const answer = await new PssMeter(scanner()).measure(IPYKERNEL);
    assert.ok(answer);
    assert.equal(answer.pss, (700000 + 200000 * 2) * 1024);
    assert.equal(answer.rss, (1048576 + 524288 * 2) * 1024);
    assert.equal(answer.processes, 4);
    assert.equal(answer.unreadable, 1);
    assert.deepEqual(answer.errors, []);
    assert.ok(answer.durationMs >= 0);
  });

  it('answers null for a kernel that does not run below the server', async () => {
    assert.equal(await new PssMeter(scanner()).measure(OTHER_SERVER), null);
  });

  it('measures one kernel at a time: the same one shares the answer, another is told to retry', async () => {
    const meter = new PssMeter(scanner());
    const first = meter.measure(IPYKERNEL);
    assert.equal(meter.measure(IPYKERNEL), first);
    await assert.rejects(meter.measure(IRKERNEL), PssBusy);
    await first;
    assert.equal((await meter.measure(IRKERNEL))?.pss, null);
  });
});

describe('the kernel routes', () => {
  let server: SidecarServer;
  let base: string;
  let scans = 0;
  beforeEach(async () => {
    const kernels = scanner();
    const scan = kernels.scan.bind(kernels);
    scans = 0;
    kernels.scan = () => {
      scans++;
      return scan();
    };
    server = new SidecarServer(new Sampler(new FakeReader(), 1000), {}, kernels);
    base = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => server.close());

  it('GET /api/v1/kernels answers the scan as JSON', async () => {
    const response = await fetch(`${base}/api/v1/kernels`);
    assert.equal(response.status, 200);
    const answer = (await response.json()) as KernelsResponse;
    assert.equal(answer.version, 1);
    assert.equal(answer.kernels[0].id, IPYKERNEL);
    assert.equal(scans, 1);
  });

  it('POST /api/v1/kernels/<id>/pss measures; GET is refused', async () => {
    const posted = await fetch(`${base}/api/v1/kernels/${IPYKERNEL}/pss`, { method: 'POST' });
    assert.equal(posted.status, 200);
    assert.equal(((await posted.json()) as KernelPssResponse).pss, 1_100_000 * 1024);
    const got = await fetch(`${base}/api/v1/kernels/${IPYKERNEL}/pss`);
    assert.equal(got.status, 405);
    assert.equal(got.headers.get('allow'), 'POST');
    const listed = await fetch(`${base}/api/v1/kernels`, { method: 'POST' });
    assert.equal(listed.status, 405);
  });

  it('refuses a malformed kernel id and answers 404 for an unknown one', async () => {
    for (const bad of ['a%2Fb', 'a.b', '-x', '', 'x'.repeat(200)]) {
      const response = await fetch(`${base}/api/v1/kernels/${bad}/pss`, { method: 'POST' });
      assert.equal(response.status, 400, bad);
      assert.match(((await response.json()) as { error: string }).error, /not a kernel id/);
    }
    const unknown = await fetch(`${base}/api/v1/kernels/${OTHER_SERVER}/pss`, { method: 'POST' });
    assert.equal(unknown.status, 404);
  });

  it('does no scan while nobody asks for kernels, whatever else is asked', async () => {
    for (const path of ['/', '/api/v1/metrics', '/api/metrics/v1', '/api/v1/kernelsx', '/api/v1/kernels/x']) {
      await (await fetch(`${base}${path}`)).text();
    }
    assert.equal(scans, 0);
  });
});
