/**
 * Records the sample series the early-warning tests replay (test/plugin/earlyWarning.spec.ts):
 * for each scenario a fresh child cgroup with a 512 MiB memory limit, the built sidecar bundle
 * inside it (as JupyterLab runs it, so its own memory counts as it does in a lab), a workload
 * inside it, then the sidecar's history of the whole run written to
 * test/plugin/fixtures/series/<scenario>.json.
 *
 *   npm run build:sidecar
 *   node --import tsx test/helpers/record-series.ts [scenario ...]   # as root
 *
 * Without arguments it records every scenario (about 8 minutes).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync
} from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, startSidecarUntilReady } from '../../bench/sidecarProcess';
import { ChildCgroups, inCgroups } from './cgroup';
import { REPO } from './paths';
import type { HistoryResponse } from '../../src/sample';

const MiB = 2 ** 20;
const LIMIT = 512 * MiB;
const INTERVAL_MS = 1000;
/**
 * Calm before the workload (a full trend window, as in a lab open for a while) and after it
 * ends, so each series shows what surrounds the episode.
 */
const CALM_BEFORE_MS = 30000;
const CALM_AFTER_MS = 10000;
const SERIES = join(REPO, 'test', 'plugin', 'fixtures', 'series');

interface IScenario {
  description: string;
  /** The workload's command line; FILE stands for a 2 x LIMIT file outside the page cache. */
  command: string[];
}

/** A Python loop appending `mibPerSecond` MiB per second (in quarter-second steps) until it is killed. */
function grower(mibPerSecond: number): string[] {
  const step = Math.round((mibPerSecond * MiB) / 4);
  return [
    'python3',
    '-c',
    `import time\nchunks = []\nwhile True:\n    chunks.append(b"\\x01" * ${step})\n    time.sleep(0.25)`
  ];
}

const SCENARIOS: Record<string, IScenario> = {
  'grower-slow': {
    description: 'A cell appending 4 MiB/s until the kernel OOM-kills it (no swap on the machine)',
    command: grower(4)
  },
  'grower-fast': {
    description: 'A cell appending 16 MiB/s until the kernel OOM-kills it (no swap on the machine)',
    command: grower(16)
  },
  spike: {
    description:
      'Twice, 15 s apart: 470 MiB allocated in 2.5 s (to about 95 % of the limit with the sidecar), held 3 s, freed',
    command: [
      'python3',
      '-c',
      `import time\nfor _ in range(2):\n    chunks = []\n    for _ in range(10):\n        chunks.append(b"\\x01" * ${47 * MiB})\n        time.sleep(0.25)\n    time.sleep(3)\n    del chunks\n    time.sleep(15)`
    ]
  },
  plateau: {
    description:
      'A steady high plateau: 460 MiB allocated at once (about 93 % of the limit with the sidecar) and held 60 s',
    command: ['python3', '-c', `import time\nx = b"\\x01" * ${460 * MiB}\ntime.sleep(60)`]
  },
  'page-cache': {
    description: 'A file of twice the limit read ten times with cat: page cache, reclaimable, no OOM',
    command: ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do cat FILE >/dev/null; done']
  },
  'sudden-oom': {
    description: 'One allocation of 1.5 x the limit: OOM-killed within a sample, no time to warn',
    command: ['python3', '-c', `x = b"\\x01" * ${Math.round(1.5 * LIMIT)}`]
  }
};

/** A file of `bytes` bytes that is not in the page cache, so that reading it charges the reader. */
function uncachedFile(dir: string, bytes: number): string {
  const file = join(dir, 'big.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(16 * MiB, 1);
  for (let written = 0; written < bytes; written += block.length) {
    writeSync(fd, block);
  }
  fsyncSync(fd);
  closeSync(fd);
  // Written pages stay cached (charged to us, outside the test cgroup) until dropped.
  const drop = `import os\nfd = os.open(${JSON.stringify(file)}, os.O_RDONLY)\nos.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)`;
  execFileSync('python3', ['-c', drop]);
  return file;
}

async function record(name: string, scenario: IScenario, scratch: string, file: string | null): Promise<void> {
  const cgroups = new ChildCgroups(`cgroup-usage-series-${process.pid}-${name}`, { memoryBytes: LIMIT });
  const node = ['node', '--jitless', '--max-semi-space-size=1', '--max-old-space-size=64', BUNDLE];
  const { child, ready } = await startSidecarUntilReady(
    inCgroups(cgroups.dirs, [...node, '--port', '0', '--interval', String(INTERVAL_MS)]),
    { ready: /listening on (http:\/\/\S+)/ }
  );
  const sidecar = { child, url: ready[1] };
  try {
    const started = Date.now();
    await new Promise(resolve => setTimeout(resolve, CALM_BEFORE_MS));
    const command = scenario.command.map(arg => (file ? arg.replace(/FILE/g, file) : arg));
    const [bin, ...args] = inCgroups(cgroups.dirs, command);
    const workload = spawn(bin, args, { stdio: 'ignore', cwd: scratch });
    const [code, signal] = (await once(workload, 'exit')) as [number | null, NodeJS.Signals | null];
    await new Promise(resolve => setTimeout(resolve, CALM_AFTER_MS));
    const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
    const history = (await (await fetch(`${sidecar.url}/api/v1/history?seconds=${seconds}`)).json()) as HistoryResponse;
    const header = {
      name,
      description: scenario.description,
      recorded: new Date(started).toISOString(),
      kernel: release(),
      limitBytes: LIMIT,
      intervalMs: history.intervalMs,
      workload: command,
      workloadExit: signal ? `signal ${signal}` : `exit ${code}`
    };
    // One sample per line: readable diffs, and the file stays a plain JSON document.
    const lines = history.samples.map(sample => `    ${JSON.stringify(sample)}`).join(',\n');
    const body = JSON.stringify(header, null, 2).replace(/\n}$/, `,\n  "samples": [\n${lines}\n  ]\n}\n`);
    writeFileSync(join(SERIES, `${name}.json`), body);
    console.log(`${name}: ${history.samples.length} samples, workload ${header.workloadExit}`);
  } finally {
    sidecar.child.kill('SIGTERM');
    await once(sidecar.child, 'exit');
    await cgroups.remove();
  }
}

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) {
    throw new Error(`no sidecar bundle at ${BUNDLE}: run npm run build:sidecar first`);
  }
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(SCENARIOS);
  const unknown = names.filter(name => !(name in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  // On the disk (.cache is git-ignored), not in a tmpfs /tmp: tmpfs pages are shared memory, not reclaimable cache.
  mkdirSync(join(REPO, '.cache'), { recursive: true });
  const scratch = mkdtempSync(join(REPO, '.cache', 'series-'));
  try {
    for (const name of names) {
      const file = name === 'page-cache' ? uncachedFile(scratch, 2 * LIMIT) : null;
      await record(name, SCENARIOS[name], scratch, file);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(`record: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
