/**
 * One case of the grid: a fresh server with one setup, a kernel holding GB GiB and N
 * sleeping children, K tabs polling, and a terminal typed into for the measured window.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKernel, type Kernel } from './kernel.js';
import { cpuSeconds, processId, isAlive, rssBytes } from './proc.js';
import { startServer, type JupyterServer } from './server.js';
import type { Setup } from './setups.js';
import { max, median, percentile } from './stats.js';
import { openSetupTabs, type Tabs } from './tabs.js';
import { openTerminal, type Terminal } from './terminal.js';
import type { Venv } from './venv.js';

export interface CaseParams {
  gb: number;
  n: number;
  k: number;
  /** 1 for the grid; 2, 3, ... for repeated runs of the same case. */
  run: number;
}

export interface Timing {
  /** Typing window. */
  seconds: number;
  keyIntervalMs: number;
  /** Between the tabs opening and the first key. */
  warmupMs: number;
}

export interface CaseResult extends CaseParams {
  setup: Setup['name'];
  keys: number;
  echo: { p50: number; p95: number; p99: number; max: number; over100: number; lost: number };
  /** Metric requests answered during the case (null in setup C); a shared stream has no requests. */
  metrics: { count: number; median: number; max: number; failures: number } | null;
  /** Status-bar updates the K tabs had during the case, all tabs together (null in setup C). */
  updates?: number | null;
  /** CPU seconds (user + system) of the Jupyter server process over the typing window. */
  serverCpu: number;
  sidecarCpu: number | null;
  sidecarRss: number | null;
  /** 1-minute load average when the case started: how busy the shared machine was. */
  load: number;
}

const WORKLOAD = readFileSync(join(__dirname, 'workload.py'), 'utf8');
/** Long enough for any case; the children also die with the kernel. */
const CHILD_LIFETIME_S = 600;
const ECHO_DRAIN_MS = 30_000;
const CASE_TIMEOUT_MS = 5 * 60_000;

export async function runCase(setup: Setup, params: CaseParams, timing: Timing, venv: Venv): Promise<CaseResult> {
  const load = loadavg()[0];
  let server: JupyterServer | null = null;
  let kernel: Kernel | null = null;
  let terminal: Terminal | null = null;
  let tabs: Tabs | null = null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case took over ${CASE_TIMEOUT_MS / 60_000} min`)), CASE_TIMEOUT_MS);
  });

  const measure = async (): Promise<CaseResult> => {
    server = await startServer(setup, venv);
    kernel = await startKernel(server);
    const started = JSON.parse(
      await kernel.execute(`${WORKLOAD}\nstart_workload(${params.gb}, ${params.n}, ${CHILD_LIFETIME_S})`, 180_000)
    ) as { children: number[] };
    const children = started.children.map(processId);
    terminal = await openTerminal(server);
    tabs = openSetupTabs(server, setup, params.k);
    await sleep(timing.warmupMs);

    const sidecar = server.sidecarPid();
    const serverCpu0 = cpuSeconds(server.pid)!;
    const sidecarCpu0 = sidecar === null ? null : cpuSeconds(sidecar);
    await terminal.type(timing.seconds * 1000, timing.keyIntervalMs);
    const serverCpu = cpuSeconds(server.pid)! - serverCpu0;
    const sidecarCpu1 = sidecar === null ? null : cpuSeconds(sidecar);
    const sidecarRss = sidecar === null ? null : rssBytes(sidecar);
    const alive = children.filter(id => id !== null && isAlive(id)).length;
    if (alive !== params.n) throw new Error(`only ${alive} of ${params.n} children alive at the end of the window`);

    const typing = await terminal.echoes(ECHO_DRAIN_MS);
    const updates = tabs ? (tabs as Tabs).updates() : null;
    const polls = tabs ? await (tabs as Tabs).close() : null;
    const { latencies } = typing;
    return {
      setup: setup.name,
      ...params,
      keys: latencies.length,
      echo: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: max(latencies),
        over100: latencies.filter(ms => ms > 100).length,
        lost: typing.lost
      },
      metrics: polls && {
        count: polls.latencies.length,
        median: median(polls.latencies),
        max: max(polls.latencies),
        failures: polls.failures
      },
      updates,
      serverCpu,
      sidecarCpu: sidecarCpu0 === null || sidecarCpu1 === null ? null : sidecarCpu1 - sidecarCpu0,
      sidecarRss,
      load
    };
  };

  try {
    return await Promise.race([measure(), timeout]);
  } finally {
    clearTimeout(timer);
    await teardown(server, kernel, terminal, tabs);
  }
}

/**
 * Tabs and sockets closed, then the server takes down its whole process tree: the kernel
 * and its children, the terminal's shell and the sidecar (a kernel's polite shutdown
 * would only add seconds per case).
 */
async function teardown(
  server: JupyterServer | null,
  kernel: Kernel | null,
  terminal: Terminal | null,
  tabs: Tabs | null
): Promise<void> {
  await (tabs as Tabs | null)?.close();
  (kernel as Kernel | null)?.close();
  (terminal as Terminal | null)?.close();
  await (server as JupyterServer | null)?.stop();
}
