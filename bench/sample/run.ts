/**
 * bench:sample — the cost of one sample: the sidecar's reader against the psutil walk that
 * jupyter-resource-usage performs, for N sleeping children of a Python process holding GB
 * GiB of private memory written before the fork (every child maps it).
 *
 * For each grid point the workload runs in a fresh child cgroup (no limits) and the
 * sidecar's reader is timed in-process from inside that cgroup (time-reader.ts); the walk
 * (walk.py, psutil from PyPI in bench/.venv) is timed over the workload's process tree in
 * the same run. Prints a Markdown table and whether the goals are met. Needs root for the
 * child cgroup; without it the workload shares the benchmark's own cgroup.
 *
 * Usage: npm run bench:sample
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CgroupRefused, ChildCgroups, inCgroups } from '../../test/helpers/cgroup.js';

const ROOT = resolve(__dirname, '../..');
const HERE = join(ROOT, 'bench/sample');
const VENV = join(ROOT, 'bench/.venv');
const PYTHON = join(VENV, 'bin/python');
const CHILDREN = [0, 64, 256];
const GIGABYTES = [0, 2];
const READS = 500;
/**
 * Timer processes per grid point. With the file descriptors kept open a read is mostly
 * JavaScript, and one Node.js process's median differs from the next one's by up to 2×
 * (100-200 µs, whatever the workload): the median over many processes is what can show a
 * dependence on the workload.
 */
const TIMER_PROCESSES = 15;
const WALK_BUDGET_SECONDS = 5;
/** The goals of issue 2. */
const FLATNESS_GOAL = 1.5;
const RATIO_GOAL = 1000;

interface ReaderTiming {
  medianMicros: number;
  reads: number;
  source: string;
  workingSet: number | null;
  errors: string[];
}

interface WalkTiming {
  medianSeconds: number;
  walks: number;
  processes: number;
  psutil: string;
}

interface Row {
  children: number;
  gigabytes: number;
  reader: ReaderTiming;
  walk: WalkTiming;
}

/** bench/.venv with psutil from PyPI (the UI benchmark shares the venv and brings it too). */
function ensureVenv(): void {
  if (!existsSync(PYTHON)) {
    console.error(`creating ${VENV} ...`);
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  }
  try {
    execFileSync(PYTHON, ['-c', 'import psutil'], { stdio: 'ignore' });
  } catch {
    console.error('pip install psutil ...');
    execFileSync(join(VENV, 'bin/pip'), ['install', '--quiet', 'psutil'], { stdio: 'inherit' });
  }
}

function describeMachine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.arch();
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  const python = execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8'
  });
  return `${model}, ${os.cpus().length} CPUs, ${memoryGiB} GiB, Linux ${os.release()}, Node ${process.version}, Python ${python.trim()}`;
}

/** Runs a command to completion and parses the JSON line it prints. */
async function runJson<T>(command: string[]): Promise<T> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) {
    throw new Error(`${command.join(' ')} exited with ${String(code)}`);
  }
  return JSON.parse(out) as T;
}

/** Starts the workload (in the cgroups, if any) and resolves with it once its children exist. */
async function startWorkload(
  cgroups: ChildCgroups | null,
  gigabytes: number,
  children: number
): Promise<{ process: ChildProcess; parent: number }> {
  const command = [PYTHON, '-u', join(HERE, 'hold.py'), String(gigabytes), String(children)];
  const [file, ...args] = (cgroups ? inCgroups(cgroups.dirs, command) : command) as [string, ...string[]];
  const holder = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: holder.stdout });
  const exited = once(holder, 'exit').then(([code]) => {
    throw new Error(`the workload exited with ${String(code)} before it was ready`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  const ready = JSON.parse(line) as { parent: number; children: number[] };
  if (ready.children.length !== children) {
    throw new Error(`the workload forked ${ready.children.length} children, not ${children}`);
  }
  return { process: holder, parent: ready.parent };
}

async function stopWorkload(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) {
    return;
  }
  const exited = once(holder, 'exit');
  holder.stdin?.end('\n');
  await exited;
}

const formatMicros = (micros: number): string => `${micros.toFixed(0)} µs`;
const formatSeconds = (seconds: number): string =>
  seconds >= 0.1 ? `${(seconds * 1000).toFixed(0)} ms` : `${(seconds * 1000).toFixed(2)} ms`;

function report(rows: Row[], machine: string, inChildCgroup: boolean): void {
  const source = rows[0]?.reader.source ?? 'unknown';
  console.log(`\nMachine: ${machine}; psutil ${rows[0]?.walk.psutil ?? '?'}; ${source}.`);
  console.log(
    inChildCgroup
      ? 'The workload and the timed reader run in a fresh child cgroup per grid point.'
      : "No child cgroup could be made: the workload shares the benchmark's own cgroup."
  );
  console.log(
    `Sidecar: median over ${TIMER_PROCESSES} processes of each one's median of ${READS} reader.read() calls after 200 warm-up reads; walk: median of 3-50 walks.\n`
  );
  console.log(
    '| children (N) | held (GB) | sidecar per sample (median) | psutil walk (median) | walk ÷ sidecar | processes walked | cgroup working set |'
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const { children, gigabytes, reader, walk } of rows) {
    const ratio = (walk.medianSeconds * 1e6) / reader.medianMicros;
    const workingSet = reader.workingSet === null ? 'unknown' : `${(reader.workingSet / 2 ** 30).toFixed(2)} GiB`;
    console.log(
      `| ${children} | ${gigabytes} | ${formatMicros(reader.medianMicros)} | ${formatSeconds(walk.medianSeconds)} | ` +
        `${Math.round(ratio).toLocaleString('en-US')}× | ${walk.processes} | ${workingSet} |`
    );
  }
  const costs = rows.map(row => row.reader.medianMicros);
  const flatness = Math.max(...costs) / Math.min(...costs);
  console.log(
    `\nSidecar cost across the grid: max/min = ${flatness.toFixed(2)} (goal ≤ ${FLATNESS_GOAL}: ${flatness <= FLATNESS_GOAL ? 'met' : 'NOT met'})`
  );
  const goalRow = rows.find(row => row.children === 64 && row.gigabytes === 2);
  if (goalRow) {
    const ratio = (goalRow.walk.medianSeconds * 1e6) / goalRow.reader.medianMicros;
    console.log(
      `At N=64, GB=2 the walk costs ${Math.round(ratio).toLocaleString('en-US')}× the sidecar (goal ≥ ${RATIO_GOAL}×: ${ratio >= RATIO_GOAL ? 'met' : 'NOT met'})`
    );
  }
  const errors = [...new Set(rows.flatMap(row => row.reader.errors))];
  if (errors.length > 0) {
    console.log(`Reader errors: ${errors.join('; ')}`);
  }
}

async function main(): Promise<void> {
  ensureVenv();
  const machine = describeMachine();
  let holder: ChildProcess | null = null;
  let cgroups: ChildCgroups | null = null;
  // One clean-up whoever asks first (Ctrl-C, an error): kill the workload, remove the cgroups.
  let cleaning: Promise<void> | null = null;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      holder?.kill('SIGKILL'); // its children follow (PR_SET_PDEATHSIG)
      await cgroups?.remove();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  const rows: Row[] = [];
  let inChildCgroup = true;
  try {
    for (const gigabytes of GIGABYTES) {
      for (const children of CHILDREN) {
        try {
          cgroups = new ChildCgroups(`cgroup-usage-bench-${process.pid}-${randomBytes(3).toString('hex')}`);
        } catch (error) {
          if (!(error instanceof CgroupRefused)) {
            throw error;
          }
          inChildCgroup = false;
        }
        console.error(`N=${children}, GB=${gigabytes}: starting the workload ...`);
        const workload = await startWorkload(cgroups, gigabytes, children);
        holder = workload.process;
        const timer = [process.execPath, '--import', 'tsx', join(HERE, 'time-reader.ts'), String(READS)];
        const timings: ReaderTiming[] = [];
        for (let i = 0; i < TIMER_PROCESSES; i++) {
          timings.push(await runJson<ReaderTiming>(cgroups ? inCgroups(cgroups.dirs, timer) : timer));
        }
        const reader = timings.sort((a, b) => a.medianMicros - b.medianMicros)[TIMER_PROCESSES >> 1];
        const walk = await runJson<WalkTiming>([
          PYTHON,
          join(HERE, 'walk.py'),
          String(workload.parent),
          String(WALK_BUDGET_SECONDS)
        ]);
        console.error(
          `  sidecar ${formatMicros(reader.medianMicros)}, walk ${formatSeconds(walk.medianSeconds)} (${walk.processes} processes)`
        );
        rows.push({ children, gigabytes, reader, walk });
        await stopWorkload(holder);
        holder = null;
        await cgroups?.remove();
        cgroups = null;
      }
    }
  } finally {
    await cleanUp();
  }
  report(rows, machine, inChildCgroup);
}

/** Set on Ctrl-C: the failures that follow (children killed by the same signal) are not news. */
let interrupted = false;

main().catch((error: unknown) => {
  if (interrupted) {
    return; // the signal handler exits once clean
  }
  console.error(`bench:sample failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
