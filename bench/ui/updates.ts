/**
 * The Jupyter server's CPU per status-bar update: one idle server per setup, all running side
 * by side over the same window (so they see the same background load), K tabs fed as each
 * frontend feeds them, until the tabs have had `updates` updates in all. A server without any
 * extension (C) runs beside them: its CPU over the window is what a server costs anyway, and
 * is subtracted before dividing by the updates.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './proc.js';
import { startServer, type JupyterServer } from './server.js';
import type { Setup, SetupName } from './setups.js';
import { openSetupTabs, type Tabs } from './tabs.js';
import type { Venv } from './venv.js';

export interface UpdatesResult {
  setup: SetupName;
  k: number;
  windowSeconds: number;
  /** Status-bar updates the K tabs had over the window, all tabs together. */
  updates: number;
  /** Proxied requests or stream messages that reached the server over the window. */
  serverHits: number;
  serverCpu: number;
  sidecarCpu: number | null;
  /** (serverCpu - C's serverCpu) / updates, in ms; sidecar's CPU / updates beside it. */
  serverMsPerUpdate: number;
  sidecarMsPerUpdate: number | null;
  /** 1-minute load average at the window's start and end. */
  load: [number, number];
  failures: number;
}

const WARMUP_MS = 10_000;
/** Generous: a frontend may be late by a few intervals on a loaded machine. */
const WINDOW_SLACK = 3;

interface Running {
  setup: Setup;
  server: JupyterServer;
  tabs: Tabs | null;
}

export async function runUpdates(
  setups: Setup[],
  baseline: Setup,
  options: { k: number; updates: number },
  venv: Venv
): Promise<UpdatesResult[]> {
  const running: Running[] = [];
  try {
    for (const setup of [baseline, ...setups]) {
      const server = await startServer(setup, venv);
      running.push({ setup, server, tabs: openSetupTabs(server, setup, options.k) });
    }
    await sleep(WARMUP_MS);
    const fed = running.filter(run => run.tabs !== null);
    const start = running.map(({ server, tabs }) => {
      const sidecar = server.sidecarPid();
      return {
        sidecar,
        server: cpuSeconds(server.pid)!,
        sidecarCpu: sidecar === null ? null : cpuSeconds(sidecar),
        updates: tabs?.updates() ?? 0
      };
    });
    const load0 = loadavg()[0];
    const started = Date.now();
    // Until every fed setup has had its updates, within a deadline of a few intervals too many.
    const slowest = Math.max(...fed.map(run => run.setup.pollMs));
    const deadline = started + (options.updates / options.k) * slowest * WINDOW_SLACK;
    const updatesSoFar = (index: number): number => (running[index].tabs?.updates() ?? 0) - start[index].updates;
    while (Date.now() < deadline && running.some((run, i) => run.tabs !== null && updatesSoFar(i) < options.updates)) {
      await sleep(200);
    }
    const windowSeconds = (Date.now() - started) / 1000;
    const load1 = loadavg()[0];
    const measured = running.map((run, index) => {
      const { sidecar } = start[index];
      const sidecarCpu1 = sidecar === null ? null : cpuSeconds(sidecar);
      return {
        run,
        updates: updatesSoFar(index),
        serverCpu: cpuSeconds(run.server.pid)! - start[index].server,
        sidecarCpu:
          start[index].sidecarCpu === null || sidecarCpu1 === null ? null : sidecarCpu1 - start[index].sidecarCpu!
      };
    });
    const idle = measured[0].serverCpu;
    const results: UpdatesResult[] = [];
    for (const { run, updates, serverCpu, sidecarCpu } of measured.slice(1)) {
      const failures = (await run.tabs?.close())?.failures ?? 0;
      run.tabs = null;
      results.push({
        setup: run.setup.name,
        k: options.k,
        windowSeconds,
        updates,
        serverHits: run.setup.streamPath ? updates / options.k : updates,
        serverCpu,
        sidecarCpu,
        serverMsPerUpdate: ((serverCpu - idle) * 1000) / updates,
        sidecarMsPerUpdate: sidecarCpu === null ? null : (sidecarCpu * 1000) / updates,
        load: [load0, load1],
        failures
      });
    }
    results.push({
      setup: baseline.name,
      k: options.k,
      windowSeconds,
      updates: 0,
      serverHits: 0,
      serverCpu: idle,
      sidecarCpu: null,
      serverMsPerUpdate: NaN,
      sidecarMsPerUpdate: null,
      load: [load0, load1],
      failures: 0
    });
    return results;
  } finally {
    for (const run of running) {
      await run.tabs?.close();
      await run.server.stop();
    }
  }
}
