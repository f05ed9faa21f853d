/**
 * `npm run bench:kernels`: what one refresh of the kernel panel costs, next to
 * jupyter-resource-usage's kernel-usage request, in the same run on the same Jupyter server.
 *
 * One real Jupyter server (bench/.venv, as bench:ui sets it up) with both jupyter-resource-usage
 * and our sidecar behind jupyter-server-proxy. For each N, one real ipykernel fills 2 GiB and
 * forks N sleeping children (bench/ui/workload.py). Then, alternately:
 * - ours: `GET /cgroup-usage/api/v1/kernels` (the panel's refresh): latency through the server,
 *   the sidecar's own scan time (`scanMs`), and the CPU time of the sidecar and of the server;
 * - jupyter-resource-usage: `GET /api/metrics/v1/kernel_usage/get_usage/<id>` (its panel's
 *   refresh): latency, and the CPU time of the kernel (which answers it) and of the server;
 * - ours, on request: `POST /cgroup-usage/api/v1/kernels/<id>/pss` (durationMs).
 * Last, with N = 64: the Jupyter server's CPU over a window with the status bar polling alone
 * (panel closed), with our panel polling too (open), and with jupyter-resource-usage's panel
 * polling instead.
 *
 * A benchmark, not a test: it asserts nothing, it writes docs/benchmarks/kernels.md (and .json).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { KernelPssResponse, KernelsResponse } from '../../src/sample.js';
import { startKernel, type Kernel } from '../ui/kernel.js';
import { describeMachine, machineMarkdown, type Machine } from '../ui/machine.js';
import { cpuSeconds } from '../ui/proc.js';
import { startServer, type JupyterServer } from '../ui/server.js';
import { JRU_METRICS, SIDECAR_METRICS, type Setup } from '../ui/setups.js';
import { median, percentile } from '../ui/stats.js';
import { openTabs } from '../ui/tabs.js';
import { prepareVenv } from '../ui/venv.js';

const REPO_ROOT = resolve(__dirname, '..', '..');
const WORKLOAD = readFileSync(join(REPO_ROOT, 'bench', 'ui', 'workload.py'), 'utf8');
const KERNELS = '/cgroup-usage/api/v1/kernels';
const jruUsage = (id: string) => `/api/metrics/v1/kernel_usage/get_usage/${id}`;
const GIB = 2 ** 30;
/** The plugins' refresh rate (schema default) and jupyter-resource-usage's kernel panel poll. */
const POLL_MS = 5000;

const SETUP: Setup = {
  name: 'B',
  label: 'jupyter-resource-usage and jupyterlab-cgroup-usage side by side',
  enabled: ['jupyter_resource_usage', 'jupyter_server_proxy'],
  args: [],
  pollPath: null,
  streamPath: null,
  pollMs: 0,
  answers: [JRU_METRICS, SIDECAR_METRICS]
};

interface Costs {
  /** ms, through the Jupyter server. */
  latencyMedian: number;
  latencyP95: number;
  /** CPU seconds per request, by process. */
  cpuPerRequest: Record<string, number>;
  /** What the answer said (the figure shown). */
  shown: string;
}

interface CaseResult {
  n: number;
  requests: number;
  ours: Costs & { scanMedianMs: number };
  jru: Costs;
  pss: { durationMs: number[]; pss: number | null; rss: number | null };
  /** What our row said about the kernel. */
  row: { rss: number; processes: number };
}

interface WindowResult {
  name: string;
  seconds: number;
  /** Cores, averaged over the window. */
  server: number;
  sidecar: number;
  kernel: number;
}

function cpuOf(pids: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid === null ? NaN : (cpuSeconds(pid) ?? NaN)])
  );
}

function perRequest(
  before: Record<string, number>,
  after: Record<string, number>,
  count: number
): Record<string, number> {
  return Object.fromEntries(Object.keys(before).map(name => [name, (after[name] - before[name]) / count]));
}

async function timed(server: JupyterServer, path: string, method = 'GET'): Promise<{ ms: number; body: unknown }> {
  const start = performance.now();
  const response = await server.request(path, { method, timeoutMs: 120_000 });
  const text = await response.text();
  const ms = performance.now() - start;
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) };
}

async function measureCase(server: JupyterServer, n: number, requests: number): Promise<CaseResult> {
  const kernel: Kernel = await startKernel(server);
  try {
    const started = JSON.parse(await kernel.execute(`${WORKLOAD}\nstart_workload(2, ${n}, 3600)`, 300_000)) as {
      kernel: number;
      children: number[];
    };
    const pids = { server: server.pid, sidecar: server.sidecarPid(), kernel: started.kernel };
    // Warm-up: the CPU-in-use baseline of ours, psutil's first cpu_percent of theirs.
    await timed(server, KERNELS);
    await timed(server, jruUsage(kernel.id));

    const ours: number[] = [];
    const scans: number[] = [];
    let last: KernelsResponse | null = null;
    const oursBefore = cpuOf(pids);
    for (let i = 0; i < requests; i++) {
      const { ms, body } = await timed(server, KERNELS);
      ours.push(ms);
      last = body as KernelsResponse;
      scans.push(last.scanMs);
    }
    const oursCpu = perRequest(oursBefore, cpuOf(pids), requests);

    const theirs: number[] = [];
    let theirLast: { content?: { kernel_memory?: number } } = {};
    const theirsBefore = cpuOf(pids);
    for (let i = 0; i < requests; i++) {
      const { ms, body } = await timed(server, jruUsage(kernel.id));
      theirs.push(ms);
      theirLast = body as typeof theirLast;
    }
    const theirsCpu = perRequest(theirsBefore, cpuOf(pids), requests);

    const pssDurations: number[] = [];
    let pss: KernelPssResponse | null = null;
    for (let i = 0; i < 3; i++) {
      pss = (await timed(server, `${KERNELS}/${kernel.id}/pss`, 'POST')).body as KernelPssResponse;
      pssDurations.push(pss.durationMs);
    }
    const row = last?.kernels.find(k => k.id === kernel.id);
    if (!row) throw new Error(`kernel ${kernel.id} not in our answer: ${JSON.stringify(last)}`);
    return {
      n,
      requests,
      ours: {
        latencyMedian: median(ours),
        latencyP95: percentile(ours, 95),
        cpuPerRequest: oursCpu,
        shown: `${(row.rss / GIB).toFixed(2)} GiB RSS, ${row.processes} processes`,
        scanMedianMs: median(scans)
      },
      jru: {
        latencyMedian: median(theirs),
        latencyP95: percentile(theirs, 95),
        cpuPerRequest: theirsCpu,
        shown:
          theirLast.content?.kernel_memory === undefined
            ? JSON.stringify(theirLast).slice(0, 120)
            : `${(theirLast.content.kernel_memory / GIB).toFixed(2)} GiB (PSS summed by psutil)`
      },
      pss: { durationMs: pssDurations, pss: pss?.pss ?? null, rss: pss?.rss ?? null },
      row: { rss: row.rss, processes: row.processes }
    };
  } finally {
    kernel.close();
    await server.request(`/api/kernels/${kernel.id}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

/** The server's, sidecar's and kernel's CPU over `seconds` while `paths` are polled every POLL_MS. */
async function cpuWindow(
  server: JupyterServer,
  name: string,
  paths: string[],
  seconds: number,
  kernelPid: number
): Promise<WindowResult> {
  const pids = { server: server.pid, sidecar: server.sidecarPid(), kernel: kernelPid };
  const tabs = paths.map(path => openTabs(server, path, POLL_MS, 1));
  await sleep(POLL_MS); // every poller in its rhythm before the window opens
  const before = cpuOf(pids);
  await sleep(seconds * 1000);
  const after = cpuOf(pids);
  await Promise.all(tabs.map(tab => tab.close()));
  const cores = perRequest(before, after, seconds);
  return { name, seconds, server: cores.server, sidecar: cores.sidecar, kernel: cores.kernel };
}

async function measureWindows(server: JupyterServer, seconds: number): Promise<WindowResult[]> {
  const kernel = await startKernel(server);
  try {
    const started = JSON.parse(await kernel.execute(`${WORKLOAD}\nstart_workload(2, 64, 3600)`, 300_000)) as {
      kernel: number;
    };
    const windows: WindowResult[] = [];
    for (const [name, paths] of [
      ['status bar only (panel closed)', [SIDECAR_METRICS]],
      ['status bar + our kernel panel open', [SIDECAR_METRICS, KERNELS]],
      ["status bar + jupyter-resource-usage's kernel panel open", [SIDECAR_METRICS, jruUsage(kernel.id)]]
    ] as const) {
      windows.push(await cpuWindow(server, name, [...paths], seconds, started.kernel));
    }
    return windows;
  } finally {
    kernel.close();
    await server.request(`/api/kernels/${kernel.id}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));
const cpuMs = (seconds: number) => (Number.isNaN(seconds) ? '?' : ms(seconds * 1000));
const pct = (cores: number) => (Number.isNaN(cores) ? '?' : `${(cores * 100).toFixed(2)} %`);

function report(
  command: string,
  commit: string,
  machine: Machine,
  versions: Record<string, string | null>,
  cases: CaseResult[],
  windows: WindowResult[]
): string {
  const lines = [
    '# Kernel panel: one refresh, next to jupyter-resource-usage (`npm run bench:kernels`)',
    '',
    `Written by \`${command}\` at commit ${commit}. A benchmark, not a test: the figures depend on`,
    'the machine and its load (other work shared these 2 cores).',
    '',
    ...machineMarkdown(machine),
    `- versions: ${Object.entries(versions)
      .map(([name, version]) => `${name} ${version ?? '—'}`)
      .join(', ')}`,
    '',
    'One Jupyter server runs both extensions. One ipykernel fills 2 GiB (every page written) and',
    'forks N sleeping children, which share those pages copy-on-write. Each request was made',
    `${cases[0]?.requests ?? '?'} times in a row; latency is measured by the client through the server. CPU is`,
    'per request, from /proc/<pid>/stat before and after the series.',
    '',
    '| N children | ours: latency median / p95 | ours: sidecar scan | ours: CPU per refresh (sidecar / server) | theirs: latency median / p95 | theirs: CPU per refresh (kernel / server) | what ours shows | what theirs shows | PSS on request (ours) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ];
  for (const c of cases) {
    lines.push(
      `| ${c.n} | ${ms(c.ours.latencyMedian)} / ${ms(c.ours.latencyP95)} ms | ${ms(c.ours.scanMedianMs)} ms | ` +
        `${cpuMs(c.ours.cpuPerRequest.sidecar)} / ${cpuMs(c.ours.cpuPerRequest.server)} ms | ` +
        `${ms(c.jru.latencyMedian)} / ${ms(c.jru.latencyP95)} ms | ` +
        `${cpuMs(c.jru.cpuPerRequest.kernel)} / ${cpuMs(c.jru.cpuPerRequest.server)} ms | ${c.ours.shown} | ${c.jru.shown} | ` +
        `${(c.pss.pss === null ? NaN : c.pss.pss / GIB).toFixed(2)} GiB in ${c.pss.durationMs.map(d => ms(d)).join(', ')} ms |`
    );
  }
  lines.push(
    '',
    'Our RSS counts the 2 GiB once in the kernel and once in each child that maps it (RSS of a',
    'forked child includes the pages it shares), which is why the row says how many processes it',
    'adds up and why PSS is offered: PSS divides each shared page among its processes.',
    '',
    `## The Jupyter server's CPU with the panel closed and open (N = 64)`,
    '',
    `Each window: ${windows[0]?.seconds ?? '?'} s, every poller once per ${POLL_MS / 1000} s, averaged cores (100 % = one core).`,
    '',
    '| window | Jupyter server | sidecar | kernel (2 GiB, 64 children) |',
    '| --- | --- | --- | --- |',
    ...windows.map(w => `| ${w.name} | ${pct(w.server)} | ${pct(w.sidecar)} | ${pct(w.kernel)} |`),
    ''
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ns: { type: 'string', default: '0,64,256' },
      requests: { type: 'string', default: '20' },
      'window-seconds': { type: 'string', default: '60' },
      wheel: { type: 'string' },
      out: { type: 'string', default: join(REPO_ROOT, 'docs', 'benchmarks') }
    }
  });
  const command = ['npm run bench:kernels', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
    ' '
  );
  const venv = prepareVenv(REPO_ROOT, {
    needWheel: true,
    wheel: values.wheel ? resolve(values.wheel) : null,
    upgrade: false
  });
  const machine = describeMachine();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const server = await startServer(SETUP, venv);
  try {
    const cases: CaseResult[] = [];
    for (const n of values.ns.split(',').map(Number)) {
      process.stdout.write(`N=${n} ... `);
      const result = await measureCase(server, n, Number(values.requests));
      cases.push(result);
      console.log(
        `ours ${ms(result.ours.latencyMedian)} ms (scan ${ms(result.ours.scanMedianMs)} ms), theirs ${ms(result.jru.latencyMedian)} ms`
      );
    }
    console.log('CPU windows ...');
    const windows = await measureWindows(server, Number(values['window-seconds']));
    for (const w of windows)
      console.log(`${w.name}: server ${pct(w.server)}, sidecar ${pct(w.sidecar)}, kernel ${pct(w.kernel)}`);
    mkdirSync(values.out, { recursive: true });
    writeFileSync(
      join(values.out, 'kernels.json'),
      JSON.stringify({ command, commit, machine, versions: venv.versions, cases, windows }, null, 2)
    );
    writeFileSync(join(values.out, 'kernels.md'), report(command, commit, machine, venv.versions, cases, windows));
    console.log(`written to ${values.out}/kernels.md`);
  } finally {
    await server.stop();
  }
}

void main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
