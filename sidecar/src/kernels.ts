/**
 * Per-kernel figures (`GET /api/v1/kernels`): the kernels below the Jupyter server, found
 * without asking them. Every kernel launcher passes the connection file `kernel-<id>.json` on
 * the kernel's command line (ipykernel's `-f FILE`, IRkernel's `--args FILE`, IJulia's
 * `kernel.jl FILE`, xeus' `-f FILE`), so the kernel is the topmost process below the server
 * naming one, and its tree is every process below that.
 *
 * Cheap figures only: RSS and CPU times from each process's `stat`. The scan runs when a
 * client asks, never on a timer; concurrent requests share one scan.
 */
import type { KernelsResponse, KernelUsage } from '../../src/sample.js';
import {
  readCmdline,
  readProcessTable,
  readSystemConstants,
  subtree,
  type ProcessProblem,
  type ProcessTable,
  type SystemConstants
} from './processes.js';

/** The connection file's name in one argument: a path, `--f=PATH`, or the bare name. */
const CONNECTION_FILE = /(?:^|[/=])kernel-([A-Za-z0-9][A-Za-z0-9_-]{0,127})\.json$/;

/** The kernel id named by a command line's connection file, or null. */
export function kernelIdOf(args: string[]): string | null {
  for (const arg of args) {
    const match = CONNECTION_FILE.exec(arg);
    if (match) {
      return match[1];
    }
  }
  return null;
}

/** The CPU-time figure a scan leaves for the next one: ticks per process, by pid and start time. */
interface CpuMark {
  monotonicMs: number;
  ticks: Map<string, number>;
}

export interface KernelScannerOptions {
  procRoot: string;
  /** Kernels are searched below this process: the Jupyter server (the sidecar's parent). */
  serverPid: number;
  /** Where the page size and tick rate come from; read from `procRoot/self/auxv` by default. */
  constants?: SystemConstants;
  /** A monotonic clock in ms (tests drive it); performance.now() by default. */
  monotonicMs?: () => number;
}

/** A kernel's root process and its tree, as one scan found them. */
export interface KernelTree {
  id: string;
  pid: number;
  pids: number[];
}

function processKey(pid: number, startTicks: number): string {
  return `${pid}:${startTicks}`;
}

/** Largest RSS first. */
export function byRss(a: KernelUsage, b: KernelUsage): number {
  return b.rss - a.rss || a.id.localeCompare(b.id);
}

export class KernelScanner {
  readonly procRoot: string;
  readonly serverPid: number;
  private readonly constants: SystemConstants;
  private readonly monotonicMs: () => number;
  private previous: CpuMark | null = null;
  private inFlight: Promise<KernelsResponse> | null = null;

  constructor(options: KernelScannerOptions) {
    this.procRoot = options.procRoot;
    this.serverPid = options.serverPid;
    this.constants = options.constants ?? readSystemConstants(options.procRoot);
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
  }

  /** One scan; a request arriving while one runs gets the same answer. */
  scan(): Promise<KernelsResponse> {
    this.inFlight ??= this.scanOnce().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /**
   * The kernels below the server and their trees. A process that vanished between the
   * listing and the read is simply not in the table; its kernel keeps the rest of its tree.
   */
  async findKernels(table: ProcessTable, unreadable: ProcessProblem[] = []): Promise<KernelTree[]> {
    const kernels: KernelTree[] = [];
    // Breadth-first from the server: a kernel's own descendants are not searched for kernels.
    let level = (table.children.get(this.serverPid) ?? []).slice();
    while (level.length > 0) {
      const cmdlines = await Promise.all(level.map(pid => readCmdline(this.procRoot, pid)));
      const next: number[] = [];
      level.forEach((pid, index) => {
        const args = cmdlines[index];
        if (args !== null && !Array.isArray(args)) {
          unreadable.push(args);
        }
        const id = Array.isArray(args) ? kernelIdOf(args) : null;
        if (id !== null) {
          kernels.push({ id, pid, pids: subtree(table, pid) });
        } else {
          next.push(...(table.children.get(pid) ?? []));
        }
      });
      level = next;
    }
    return kernels;
  }

  private async scanOnce(): Promise<KernelsResponse> {
    const started = performance.now();
    const errors: string[] = [];
    if (process.platform !== 'linux' && this.procRoot === '/proc') {
      errors.push(`per-kernel figures need Linux's /proc; this is ${process.platform}`);
      return this.response(started, [], errors);
    }
    const table = readProcessTable(this.procRoot);
    if (table.truncated) {
      errors.push(`more processes than can be scanned; kernels may be missing`);
    }
    if (!table.processes.has(this.serverPid)) {
      errors.push(`the Jupyter server (pid ${this.serverPid}) is not in ${this.procRoot}`);
    }
    const unreadable = [...table.problems];
    const trees = await this.findKernels(table, unreadable);
    const listing = unreadable.find(problem => problem.pid === 0);
    if (listing) {
      errors.push(listing.problem);
    } else if (unreadable.length > 0) {
      const [first] = unreadable;
      errors.push(
        `${unreadable.length} processes could not be read (pid ${first.pid}: ${first.problem}); kernels among them are not listed`
      );
    }
    const mark: CpuMark = { monotonicMs: this.monotonicMs(), ticks: new Map() };
    const previous = this.previous;
    const kernels = trees.map(tree => this.usage(tree, table, previous, mark));
    this.previous = mark;
    return this.response(started, kernels.sort(byRss), errors);
  }

  private usage(tree: KernelTree, table: ProcessTable, previous: CpuMark | null, mark: CpuMark): KernelUsage {
    const { pageSize, clockTicks } = this.constants;
    let rssPages = 0;
    let deltaTicks = 0;
    let processes = 0;
    for (const pid of tree.pids) {
      const stat = table.processes.get(pid);
      if (stat === undefined) {
        continue;
      }
      processes++;
      rssPages += stat.rssPages;
      const key = processKey(pid, stat.startTicks);
      mark.ticks.set(key, stat.cpuTicks);
      // A process new since the previous scan spent all its CPU time within the window.
      deltaTicks += stat.cpuTicks - (previous?.ticks.get(key) ?? 0);
    }
    const root = table.processes.get(tree.pid);
    const seconds = previous === null ? 0 : (mark.monotonicMs - previous.monotonicMs) / 1000;
    return {
      id: tree.id,
      pid: tree.pid,
      command: root?.comm ?? '',
      rss: rssPages * pageSize,
      cpu: seconds > 0 ? Math.max(0, deltaTicks / clockTicks / seconds) : null,
      processes
    };
  }

  private response(started: number, kernels: KernelUsage[], errors: string[]): KernelsResponse {
    return {
      version: 1,
      timestamp: Date.now(),
      serverPid: this.serverPid,
      scanMs: Math.round((performance.now() - started) * 1000) / 1000,
      kernels,
      errors
    };
  }
}
