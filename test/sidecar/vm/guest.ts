/**
 * The test VM's runner: root in a qemu guest on a pure cgroup v2 hierarchy (init.sh). Each
 * run below sets up cgroups and workloads, waits until the kernel's own figures show the
 * workload is there, runs the sidecar inside (as the wheel does: `node --jitless`), and
 * writes one JSON line per record — what it set, what the sidecar reported, what the kernel
 * said around it — to the file given as the first argument (the VM's second serial port).
 * The host (vm.test.ts) asserts. Progress and failures go to the console.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { getOverSocket } from '../unix-http.js';
import type { Sample } from '../../../src/sample.js';
import { CGROUP_MOUNT, finished, pressureTotal, until, V2Cgroup } from './v2-cgroup.js';

export interface RunRecord {
  run: string;
  /** What the guest set: cgroup files and their values, workloads. */
  set: Record<string, string | number>;
  sample?: Sample;
  /** The kernel's own figures around the sidecar's reading, and other observations. */
  kernel: Record<string, unknown>;
  seconds: number;
}

const MiB = 1024 * 1024;
const RESULTS = process.argv[2] ?? '/dev/stdout';
const NODE = process.execPath;
const SIDECAR = process.env.vmsidecar ?? '';
const PRESSURES = ['cpu', 'memory', 'io'] as const;

// Workloads. The busy loops run at nice 19 so the sidecar beside them in the same quota
// still gets most of it and finishes in seconds under emulation.
const BUSY_LOOP = ['nice', '-n', '19', '/bin/sh', '-c', 'while :; do :; done'];
/** Fills every page (not zeroes, which could stay unbacked) and holds them. */
const holdMemory = (bytes: number) => [
  NODE,
  '-e',
  `globalThis.held = Buffer.alloc(${bytes}, 1); setInterval(() => {}, 1 << 30);`
];
const ALLOCATE_FOREVER = [NODE, '-e', 'const held = []; for (;;) held.push(Buffer.alloc(8 << 20, 1));'];

const sidecarCommand = (...args: string[]) => [NODE, '--jitless', SIDECAR, ...args];

/** One `--once` sample from inside `cgroup`, `wrapper` (e.g. unshare) in front of the sidecar. */
async function sidecarOnce(cgroup: V2Cgroup, wrapper: string[] = []): Promise<{ sample: Sample; stderr: string }> {
  const { code, stdout, stderr } = await finished(cgroup.spawn([...wrapper, ...sidecarCommand('--once')]));
  if (code !== 0) {
    throw new Error(`sidecar --once in ${cgroup.path} exited with ${String(code)}: ${stderr}`);
  }
  return { sample: JSON.parse(stdout) as Sample, stderr };
}

/** Waits until the cgroup's cpu.stat says it was throttled in a few more periods than now. */
async function throttled(cgroup: V2Cgroup): Promise<void> {
  const start = cgroup.keyed('cpu.stat').nr_throttled;
  await until(
    `${cgroup.path}: cpu.stat nr_throttled to grow`,
    () => cgroup.keyed('cpu.stat').nr_throttled >= start + 3
  );
}

function workingSet(cgroup: V2Cgroup): number {
  return cgroup.number('memory.current') - cgroup.keyed('memory.stat').inactive_file;
}

/** 512 MiB, half a CPU, 100 pids; 300 MiB held and two busy loops; the sidecar beside them. */
async function limited(): Promise<RunRecord[]> {
  const set = { 'memory.max': 512 * MiB, 'cpu.max': '50000 100000', 'pids.max': 100, workload: 300 * MiB };
  const cgroup = new V2Cgroup('limited', {
    'memory.max': String(set['memory.max']),
    'cpu.max': set['cpu.max'],
    'pids.max': '100'
  });
  try {
    cgroup.spawn(holdMemory(set.workload));
    await until('limited: memory.current ≥ the workload', () => cgroup.number('memory.current') >= set.workload);
    cgroup.spawn(BUSY_LOOP);
    cgroup.spawn(BUSY_LOOP);
    await throttled(cgroup);
    const kernel = { workingSetBefore: workingSet(cgroup), pidsBefore: cgroup.number('pids.current') };
    const { sample } = await sidecarOnce(cgroup);
    return [{ run: 'limited', set, sample, kernel: { ...kernel, workingSetAfter: workingSet(cgroup) }, seconds: 0 }];
  } finally {
    await cgroup.remove();
  }
}

/** The limits on a parent (pod), the sidecar and a busy loop in its child (container). */
async function parentLimits(): Promise<RunRecord[]> {
  const set = { 'pod/memory.max': 384 * MiB, 'pod/cpu.max': '75000 100000', 'container/memory.max': 'max' };
  const pod = new V2Cgroup('pod', { 'memory.max': String(set['pod/memory.max']), 'cpu.max': set['pod/cpu.max'] });
  try {
    const container = pod.child('container');
    container.spawn(BUSY_LOOP);
    await throttled(pod);
    const { sample } = await sidecarOnce(container);
    const kernel = { podCpuStat: pod.keyed('cpu.stat'), containerCpuStat: container.keyed('cpu.stat') };
    return [{ run: 'parent-limits', set, sample, kernel, seconds: 0 }];
  } finally {
    await pod.remove();
  }
}

/** Two sibling cgroups; a workload in one allocates until the kernel OOM-kills it; the sidecar in each. */
async function oomKills(): Promise<RunRecord[]> {
  const limit = 96 * MiB;
  const here = new V2Cgroup('oom-here', { 'memory.max': String(limit) });
  const neighbour = new V2Cgroup('oom-neighbour', { 'memory.max': String(limit) });
  try {
    const victim = here.spawn(ALLOCATE_FOREVER);
    const [, signal] = (await once(victim, 'exit')) as [number | null, string | null];
    await until('oom-here: memory.events oom_kill ≥ 1', () => here.keyed('memory.events').oom_kill >= 1);
    const records: RunRecord[] = [];
    for (const [run, cgroup] of [
      ['oom-here', here],
      ['oom-neighbour', neighbour]
    ] as const) {
      const { sample } = await sidecarOnce(cgroup);
      const kernel = { victimSignal: signal, memoryEvents: cgroup.keyed('memory.events') };
      records.push({
        run,
        set: { 'memory.max': limit, workload: run === 'oom-here' ? 'allocates until killed' : 'none' },
        sample,
        kernel,
        seconds: 0
      });
    }
    return records;
  } finally {
    await here.remove();
    await neighbour.remove();
  }
}

/** PSI totals (µs) of a cgroup's *.pressure files, or the machine's /proc/pressure. */
function pressureTotals(cgroup: V2Cgroup | null): Record<string, number> {
  return Object.fromEntries(
    PRESSURES.map(resource => [
      resource,
      pressureTotal(cgroup ? cgroup.read(`${resource}.pressure`) : readFileSync(`/proc/pressure/${resource}`, 'utf8'))
    ])
  );
}

/**
 * Pressure of the sidecar's own cgroup, not the machine's: first CPU stall elsewhere (three
 * loops on one CPU in another cgroup), so that the root's totals are well above anything the
 * measured cgroup can have; then a throttled cgroup with stalls of its own.
 */
async function ownPressure(): Promise<RunRecord[]> {
  const set = {
    'noise/cpuset.cpus': '0',
    'noise/workload': '3 busy loops',
    'psi/cpu.max': '50000 100000',
    'psi/workload': '2 busy loops'
  };
  const noise = new V2Cgroup('noise', { 'cpuset.cpus': set['noise/cpuset.cpus'] });
  try {
    for (let i = 0; i < 3; i++) {
      noise.spawn(BUSY_LOOP);
    }
    await until('noise: cpu.pressure some total ≥ 2 s', () => pressureTotal(noise.read('cpu.pressure')) >= 2e6);
  } finally {
    await noise.remove();
  }
  const psi = new V2Cgroup('psi', { 'cpu.max': set['psi/cpu.max'] });
  try {
    psi.spawn(BUSY_LOOP);
    psi.spawn(BUSY_LOOP);
    await until('psi: cpu.pressure some total ≥ 0.5 s', () => pressureTotal(psi.read('cpu.pressure')) >= 5e5);
    const ownBefore = pressureTotals(psi);
    const rootBefore = pressureTotals(null);
    const { sample } = await sidecarOnce(psi);
    const kernel = { ownBefore, ownAfter: pressureTotals(psi), rootBefore };
    return [{ run: 'own-pressure', set, sample, kernel, seconds: 0 }];
  } finally {
    await psi.remove();
  }
}

/**
 * The sidecar in a cgroup namespace whose root is the cgroup `ns`: once with a fresh cgroup2
 * mount (what Docker and Kubernetes do), once keeping the outer mount (mountinfo root `/..`).
 * What the process sees there goes to stderr first, as evidence.
 */
async function cgroupNamespaces(): Promise<RunRecord[]> {
  const set = { 'memory.max': 256 * MiB, 'cpu.max': '100000 100000' };
  const cgroup = new V2Cgroup('ns', { 'memory.max': String(set['memory.max']), 'cpu.max': set['cpu.max'] });
  const show = 'grep " cgroup2 " /proc/self/mountinfo >&2; cat /proc/self/cgroup >&2; exec "$@"';
  const wrappers = {
    'ns-fresh-mount': [
      'unshare',
      '--cgroup',
      '--mount',
      '/bin/sh',
      '-c',
      `umount ${CGROUP_MOUNT} && mount -t cgroup2 cgroup2 ${CGROUP_MOUNT} && ${show}`,
      'sh'
    ],
    'ns-inherited-mount': ['unshare', '--cgroup', '/bin/sh', '-c', show, 'sh']
  };
  try {
    const records: RunRecord[] = [];
    for (const [run, wrapper] of Object.entries(wrappers)) {
      const { sample, stderr } = await sidecarOnce(cgroup, wrapper);
      const [mountinfo = '', ownCgroup = ''] = stderr.trim().split('\n');
      records.push({
        run,
        set,
        sample,
        kernel: { mountRoot: mountinfo.split(' ')[3], procSelfCgroup: ownCgroup },
        seconds: 0
      });
    }
    return records;
  } finally {
    await cgroup.remove();
  }
}

/** The sidecar serving on a Unix socket (as jupyter-server-proxy starts it), asked over HTTP, then SIGTERM. */
async function unixSocket(): Promise<RunRecord[]> {
  const socket = '/run/cgroup-usage-sidecar.sock';
  const set = { 'memory.max': 320 * MiB, socket, interval: 500 };
  const cgroup = new V2Cgroup('socket', { 'memory.max': String(set['memory.max']) });
  try {
    const server = cgroup.spawn(sidecarCommand('--unix-socket', socket, '--interval', String(set.interval)));
    const exit = finished(server);
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until('the sidecar to say "listening on"', () => {
      if (server.exitCode !== null) {
        throw new Error(`the sidecar exited with ${server.exitCode}: ${stderr}`);
      }
      return stderr.includes('listening on');
    });
    const index = await getOverSocket(socket, '/');
    // The first sample has no CPU figure yet (one reading); wait for the second.
    let metrics = { status: 0, body: '' };
    let sample: Sample | undefined;
    for (const deadline = Date.now() + 60_000; !(sample?.cpu.used !== null && sample?.cpu.used !== undefined);) {
      if (Date.now() > deadline) {
        throw new Error(`no sample with a CPU figure over the socket: ${metrics.status} ${metrics.body}`);
      }
      metrics = await getOverSocket(socket, '/api/v1/metrics');
      sample = metrics.status === 200 ? (JSON.parse(metrics.body) as Sample) : undefined;
    }
    server.kill('SIGTERM');
    const { code } = await exit;
    const kernel = {
      indexStatus: index.status,
      metricsStatus: metrics.status,
      exitCode: code,
      socketLeft: existsSync(socket),
      listening: stderr.trim()
    };
    return [{ run: 'unix-socket', set, sample, kernel, seconds: 0 }];
  } finally {
    await cgroup.remove();
  }
}

/** A swap device (the VM's virtio disk), a cgroup smaller than its workload: part of it is swapped out. */
async function swap(): Promise<RunRecord[]> {
  const device = '/dev/vda';
  if (!existsSync(device)) {
    return [{ run: 'swap', set: {}, kernel: { skipped: `no ${device}: the VM has no swap disk` }, seconds: 0 }];
  }
  execFileSync('mkswap', [device], { stdio: 'ignore' });
  execFileSync('swapon', [device]);
  const set = { 'memory.max': 160 * MiB, workload: 224 * MiB };
  const cgroup = new V2Cgroup('swap', { 'memory.max': String(set['memory.max']) });
  try {
    cgroup.spawn(holdMemory(set.workload));
    await until('swap: memory.swap.current ≥ 48 MiB', () => cgroup.number('memory.swap.current') >= 48 * MiB);
    const swapBefore = cgroup.number('memory.swap.current');
    const { sample } = await sidecarOnce(cgroup);
    return [
      { run: 'swap', set, sample, kernel: { swapBefore, swapAfter: cgroup.number('memory.swap.current') }, seconds: 0 }
    ];
  } finally {
    await cgroup.remove();
    execFileSync('swapoff', [device]);
  }
}

const RUNS = { limited, parentLimits, oomKills, ownPressure, cgroupNamespaces, unixSocket, swap };

function emit(record: object): void {
  appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
}

async function main(): Promise<void> {
  console.log(`vm-guest: ${readFileSync('/proc/version', 'utf8').trim()}`);
  console.log(
    `vm-guest: ${CGROUP_MOUNT}/cgroup.subtree_control: ${readFileSync(`${CGROUP_MOUNT}/cgroup.subtree_control`, 'utf8').trim()}`
  );
  for (const [name, run] of Object.entries(RUNS)) {
    const start = Date.now();
    try {
      const records = await run();
      const seconds = (Date.now() - start) / 1000;
      records.forEach(record => emit({ ...record, seconds }));
      console.log(`vm-guest: ${name} done in ${seconds} s`);
    } catch (error) {
      console.log(`vm-guest: ${name} failed: ${(error as Error).stack ?? String(error)}`);
      emit({ run: name, error: String((error as Error).message ?? error), seconds: (Date.now() - start) / 1000 });
    }
  }
  emit({ done: true });
}

void main();
