/**
 * The readers against checked-in /proc and /sys trees (golden files, in the spirit of
 * node_exporter's e2e test), and against this machine's real cgroup files.
 *
 * Each fixture is test/sidecar/fixtures/<case>/{proc,sys}/..., optionally case.json
 * ({ "env": {...}, "diskPath": "relative/to/case" }), and expected.json: the Reading with the
 * fixture's absolute path replaced by <fixture> and the disk figures (which depend on the
 * machine running the test) by "<statfs>". `UPDATE_GOLDEN=1 npm run test:sidecar` rewrites
 * expected.json; check every figure by hand against the fixture files before committing.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { OpenFiles, Problems } from '../../sidecar/src/files.js';
import { readOtherHost } from '../../sidecar/src/host.js';
import { createReader } from '../../sidecar/src/reader.js';
import type { Reading } from '../../sidecar/src/reading.js';

const FIXTURES = path.join(__dirname, 'fixtures');

const REQUIRED_CASES = [
  'v2-namespace',
  'v2-kubernetes-nested',
  'v1-hybrid-parent-limit',
  'v1-docker-mount-root',
  'no-cgroup',
  'env-limits-no-cgroup-limit',
  'malformed-v2',
  'malformed-v1',
  'v2-outside-mount-root',
  'v2-cgroupns-inherited-mount',
  'v1-systemd-slice-quota',
  'v1-duplicate-mounts'
];

interface FixtureCase {
  env?: Record<string, string>;
  diskPath?: string;
}

/** Makes a reading independent of where the checkout lives and of the disk it sits on. */
function normalize(reading: Reading, caseDir: string): unknown {
  const disk = reading.disk;
  if (disk !== null) {
    assert.ok(disk.total > 0 && disk.used >= 0 && disk.used <= disk.total, `disk figures ${JSON.stringify(disk)}`);
  }
  const text = JSON.stringify({ ...reading, disk: disk && { ...disk, used: '<statfs>', total: '<statfs>' } });
  return JSON.parse(text.split(caseDir).join('<fixture>'));
}

async function readFixture(name: string): Promise<unknown> {
  const caseDir = path.join(FIXTURES, name);
  const casePath = path.join(caseDir, 'case.json');
  const options: FixtureCase = fs.existsSync(casePath) ? JSON.parse(fs.readFileSync(casePath, 'utf8')) : {};
  const reader = createReader({
    procRoot: path.join(caseDir, 'proc'),
    sysRoot: path.join(caseDir, 'sys'),
    diskPath: path.join(caseDir, options.diskPath ?? ''),
    env: options.env ?? {}
  });
  return normalize(await reader.read(), caseDir);
}

describe('fixture trees', () => {
  const cases = fs.readdirSync(FIXTURES).filter(name => fs.statSync(path.join(FIXTURES, name)).isDirectory());

  test('every required layout has a fixture', () => {
    assert.deepEqual(
      REQUIRED_CASES.filter(name => !cases.includes(name)),
      []
    );
  });

  for (const name of cases) {
    test(name, async () => {
      const actual = await readFixture(name);
      const goldenPath = path.join(FIXTURES, name, 'expected.json');
      if (process.env.UPDATE_GOLDEN === '1') {
        fs.writeFileSync(goldenPath, JSON.stringify(actual, null, 2) + '\n');
      }
      assert.deepEqual(actual, JSON.parse(fs.readFileSync(goldenPath, 'utf8')));
    });
  }

  test('a reader reads again on every call (limits can change at run time)', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-fixture-'));
    try {
      fs.cpSync(path.join(FIXTURES, 'v2-namespace'), work, { recursive: true });
      const reader = createReader({
        procRoot: path.join(work, 'proc'),
        sysRoot: path.join(work, 'sys'),
        diskPath: work,
        env: {}
      });
      assert.equal((await reader.read()).memory.limit, 2147483648);
      fs.writeFileSync(path.join(work, 'sys/fs/cgroup/memory.max'), '1073741824\n');
      fs.writeFileSync(path.join(work, 'sys/fs/cgroup/cpu.stat'), 'usage_usec 200000000\n');
      const second = await reader.read();
      assert.equal(second.memory.limit, 1073741824);
      assert.equal(second.cpu.usageSeconds, 200);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test('read() never throws, even when the roots do not exist', async () => {
    const reading = await createReader({
      procRoot: '/nonexistent/proc',
      sysRoot: '/nonexistent/sys',
      diskPath: '/nonexistent',
      env: {}
    }).read();
    assert.equal(reading.source, 'host');
    assert.deepEqual(reading.errors, [
      '/nonexistent/proc/meminfo: missing',
      '/nonexistent/proc/stat: missing',
      '/nonexistent/sys/devices/system/cpu/online: missing',
      '/nonexistent: cannot statfs (ENOENT)'
    ]);
    assert.deepEqual([reading.memory.used, reading.memory.limit, reading.cpu.usageSeconds], [null, null, null]);
    // Without the online CPU list, the CPU count falls back to what Node sees.
    assert.equal(reading.cpu.hostCpus, os.cpus().length);
  });
});

/** This machine's cgroup v1 layout, read by the test itself (independently of the reader's code). */
function realV1Paths(): Record<string, string> | null {
  if (process.platform !== 'linux' || !fs.existsSync('/proc/self/cgroup')) {
    return null;
  }
  const paths: Record<string, string> = {};
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, cgroupPath] = line.split(':');
    for (const controller of controllers?.split(',') ?? []) {
      paths[controller] = cgroupPath;
    }
  }
  const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const mounted = ['memory', 'cpu', 'cpuacct'].every(name => mountinfo.includes(` / /sys/fs/cgroup/${name} `));
  return mounted && paths.memory !== undefined ? paths : null;
}

const realPaths = realV1Paths();
const NOT_HYBRID = 'this machine has no cgroup v1 memory, cpu and cpuacct hierarchies mounted separately with root /';

const readTrimmed = (file: string) => fs.readFileSync(file, 'utf8').trim();

/** Every directory from /sys/fs/cgroup/<controller><cgroupPath> up to the hierarchy's root. */
function levels(controller: string, cgroupPath: string): string[] {
  const parts = cgroupPath.split('/').filter(Boolean);
  const levelAt = (depth: number) => path.join('/sys/fs/cgroup', controller, ...parts.slice(0, depth));
  return parts.map((_, i) => levelAt(parts.length - i)).concat(levelAt(0));
}

function cpuListSize(list: string): number {
  return list
    .split(',')
    .map(range => range.split('-').map(Number))
    .reduce((count, [first, last]) => count + (last ?? first) - first + 1, 0);
}

const onlineCpus = () => cpuListSize(readTrimmed('/sys/devices/system/cpu/online'));

describe('this machine (cgroup v1 hybrid)', { skip: realPaths === null && NOT_HYBRID }, () => {
  test('figures agree with the files the test reads itself', async () => {
    const paths = realPaths!;
    const cpuacctUsage = path.join('/sys/fs/cgroup/cpuacct', paths.cpuacct, 'cpuacct.usage');
    const usageBefore = Number(readTrimmed(cpuacctUsage));
    const reading = await createReader({ procRoot: '/proc', sysRoot: '/sys', diskPath: process.cwd(), env: {} }).read();
    const usageAfter = Number(readTrimmed(cpuacctUsage));

    assert.equal(reading.source, 'cgroup-v1');
    assert.deepEqual(reading.errors, []);
    assert.equal(reading.cpu.hostCpus, onlineCpus());

    const memoryLimits = levels('memory', paths.memory)
      .map(level => Number(readTrimmed(path.join(level, 'memory.limit_in_bytes'))))
      .filter(limit => limit < 2 ** 62);
    const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readTrimmed('/proc/meminfo'))![1]) * 1024;
    assert.deepEqual(
      [reading.memory.limit, reading.memory.limitSource],
      memoryLimits.length > 0 ? [Math.min(...memoryLimits), 'cgroup'] : [memTotal, 'host']
    );

    const quotas = levels('cpu', paths.cpu)
      .map(level => [
        readTrimmed(path.join(level, 'cpu.cfs_quota_us')),
        readTrimmed(path.join(level, 'cpu.cfs_period_us'))
      ])
      .filter(([quota]) => quota !== '-1')
      .map(([quota, period]) => Number(quota) / Number(period));
    const cpusetFile = path.join('/sys/fs/cgroup/cpuset', paths.cpuset ?? '/', 'cpuset.effective_cpus');
    const cpuset = fs.existsSync(cpusetFile) ? cpuListSize(readTrimmed(cpusetFile)) : Infinity;
    const cgroupCpuLimit = Math.min(...quotas, cpuset);
    assert.deepEqual(
      [reading.cpu.limit, reading.cpu.limitSource],
      quotas.length > 0 || cgroupCpuLimit < onlineCpus()
        ? [Math.min(cgroupCpuLimit, onlineCpus()), 'cgroup']
        : [onlineCpus(), 'host']
    );

    const oomKill = /^oom_kill (\d+)$/m.exec(
      readTrimmed(path.join('/sys/fs/cgroup/memory', paths.memory, 'memory.oom_control'))
    );
    assert.equal(reading.memory.oomKills, oomKill ? Number(oomKill[1]) : null);

    // CPU time is monotonic: the reader's figure lies between the test's two reads.
    assert.ok(reading.cpu.usageSeconds! >= usageBefore / 1e9 && reading.cpu.usageSeconds! <= usageAfter / 1e9);
    assert.ok(reading.memory.usage! > 0 && reading.memory.used! <= reading.memory.usage!);

    // At the root of the pids hierarchy there is no pids.current: null, and no error (checked above).
    const pidsCurrent = path.join('/sys/fs/cgroup/pids', paths.pids ?? '/', 'pids.current');
    assert.equal(reading.pids.current, fs.existsSync(pidsCurrent) ? Number(readTrimmed(pidsCurrent)) : null);
    assert.equal(
      reading.pressure.cpu !== null,
      fs.existsSync(path.join('/sys/fs/cgroup/unified', paths[''] ?? '/', 'cpu.pressure'))
    );
  });
});

/**
 * Real kernel files with the limits on a parent: child cgroups of this process's own memory,
 * cpu and cpuacct cgroups (512 MiB on the parent, 0.5 CPU quota on the parent, nothing on the
 * leaf), a workload moved into the leaf that then allocates 300 MB, and a /proc whose
 * self/cgroup points at the leaf (mountinfo is the real one).
 */
describe('this machine: child cgroups with limits on the parent', { skip: realPaths === null && NOT_HYBRID }, () => {
  const name = `cgroup-usage-test-${process.pid}`;
  const MIB = 2 ** 20;

  test('the reader sees the parent limits and the workload working set', async t => {
    const paths = realPaths!;
    const parents = {
      memory: path.join('/sys/fs/cgroup/memory', paths.memory, name),
      cpu: path.join('/sys/fs/cgroup/cpu', paths.cpu, name),
      cpuacct: path.join('/sys/fs/cgroup/cpuacct', paths.cpuacct, name)
    };
    // cgroupfs directories are removed with rmdir, leaf first, once empty.
    const removeCgroups = () =>
      Object.values(parents).forEach(dir =>
        [path.join(dir, 'leaf'), dir].filter(fs.existsSync).forEach(d => fs.rmdirSync(d))
      );
    try {
      for (const dir of Object.values(parents)) {
        fs.mkdirSync(path.join(dir, 'leaf'), { recursive: true });
      }
      fs.writeFileSync(path.join(parents.memory, 'memory.limit_in_bytes'), String(512 * MIB));
      fs.writeFileSync(path.join(parents.cpu, 'cpu.cfs_quota_us'), '50000');
    } catch (error) {
      removeCgroups();
      t.skip(`cannot create child cgroups here (${(error as NodeJS.ErrnoException).code})`);
      return;
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-real-'));
    const workload = spawn(
      process.execPath,
      [
        '-e',
        "process.stdin.once('data', () => { globalThis.kept = Buffer.alloc(300 * 2 ** 20, 1); console.log('ready'); })"
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] }
    );
    try {
      // Move first, allocate after: v1 keeps charges where the pages were first touched.
      for (const dir of Object.values(parents)) {
        fs.writeFileSync(path.join(dir, 'leaf', 'cgroup.procs'), String(workload.pid));
      }
      const ready = once(workload.stdout!, 'data');
      workload.stdin!.write('go\n');
      await ready;

      fs.mkdirSync(path.join(work, 'self'));
      const procCgroup = readTrimmed('/proc/self/cgroup')
        .split('\n')
        .map(line =>
          line.replace(
            /^(\d+):(memory|cpu|cpuacct):(.*)$/,
            (_, id, controller, cgroupPath) => `${id}:${controller}:${path.join(cgroupPath, name, 'leaf')}`
          )
        )
        .join('\n');
      fs.writeFileSync(path.join(work, 'self/cgroup'), procCgroup + '\n');
      // procfs files report size 0, so they are copied by reading, not with copyFile.
      fs.writeFileSync(path.join(work, 'self/mountinfo'), fs.readFileSync('/proc/self/mountinfo'));

      // Throttling is accounted in the parent, which holds the quota: the reader reads its cpu.stat.
      const parentPeriods = () =>
        Number(/^nr_periods (\d+)$/m.exec(readTrimmed(path.join(parents.cpu, 'cpu.stat')))![1]);
      const periodsBefore = parentPeriods();
      const reading = await createReader({ procRoot: work, sysRoot: '/sys', diskPath: work, env: {} }).read();
      const periodsAfter = parentPeriods();
      assert.ok(periodsBefore > 0, `the workload ran under the parent's quota (nr_periods ${periodsBefore})`);
      assert.ok(
        reading.cpu.periods! >= periodsBefore && reading.cpu.periods! <= periodsAfter,
        `${periodsBefore} ≤ ${reading.cpu.periods} ≤ ${periodsAfter}`
      );
      assert.deepEqual(reading.errors, []);
      assert.equal(reading.source, 'cgroup-v1');
      assert.deepEqual([reading.memory.limit, reading.memory.limitSource], [512 * MIB, 'cgroup']);
      assert.deepEqual([reading.cpu.limit, reading.cpu.limitSource], [0.5, 'cgroup']);
      // The 300 MB buffer is anonymous memory: all of it is working set, and it fits the limit.
      assert.ok(reading.memory.used! >= 300 * MIB, `working set ${reading.memory.used}`);
      assert.ok(reading.memory.usage! <= 512 * MIB, `usage ${reading.memory.usage}`);
      assert.ok(reading.cpu.usageSeconds! > 0);
    } finally {
      workload.kill('SIGKILL');
      if (workload.exitCode === null && workload.signalCode === null) {
        await once(workload, 'exit');
      }
      fs.rmSync(work, { recursive: true, force: true });
      removeCgroups();
    }
  });
});

describe(
  'non-Linux fallback (os + pidusage), exercised here directly',
  { skip: process.platform !== 'linux' && 'compares with /proc' },
  () => {
    /** The parent's CPU seconds (utime + stime at USER_HZ 100), as the test reads them itself. */
    function parentCpuSeconds(): number {
      const fields = readTrimmed(`/proc/${process.ppid}/stat`).split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    }

    test('machine memory from os, CPU time of the parent process from pidusage', async () => {
      const problems = new Problems(new OpenFiles());
      const before = parentCpuSeconds();
      const figures = await readOtherHost(problems);
      const after = parentCpuSeconds();
      assert.deepEqual(problems.messages, []);
      assert.equal(figures.memory.hostTotal, os.totalmem());
      assert.equal(figures.memory.limit, Infinity);
      assert.ok(figures.memory.used! > 0 && figures.memory.used! <= os.totalmem());
      assert.ok(
        figures.cpu.usageSeconds! >= before && figures.cpu.usageSeconds! <= after,
        `${before} ≤ ${figures.cpu.usageSeconds} ≤ ${after}`
      );
      assert.deepEqual(figures.pressure, { cpu: null, memory: null, io: null, scope: null });
    });
  }
);
