/**
 * Child cgroups for the end-to-end tests: JupyterLab started inside its own cgroup, so the
 * figures it shows are its own (other processes on the machine do not move them) and the
 * limits are ones the test set. cgroup v1 (one hierarchy per controller, as here) and v2.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_MOUNT = '/sys/fs/cgroup';
/** The v1 controllers whose files the sidecar reads for memory and CPU. */
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct'];
const CPU_PERIOD_US = 100000;

/** The kernel (or the permissions we run with) refused to create or configure a cgroup. */
export class CgroupRefused extends Error {}

export interface CgroupLimits {
  memoryBytes?: number;
  /** CPU quota in µs per 100 ms period: 50000 = half a CPU. */
  cpuQuotaUs?: number;
}

/** One cgroup directory and the controllers of its hierarchy ([] for cgroup v2). */
interface Hierarchy {
  controllers: string[];
  dir: string;
}

/** The kernel's own count of OOM kills in the cgroup (v1 memory.oom_control, v2 memory.events). */
export function oomKillCount(dirs: string[]): number {
  for (const dir of dirs) {
    for (const file of ['memory.oom_control', 'memory.events']) {
      try {
        const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, file), 'utf8'));
        if (match) {
          return Number(match[1]);
        }
      } catch {
        // not this hierarchy
      }
    }
  }
  throw new Error('no oom_kill counter in the cgroup');
}

/**
 * The cgroups `pid` belongs to for memory and CPU: one per v1 hierarchy (memory, cpu,
 * cpuacct, possibly co-mounted as cpu,cpuacct), else the single v2 one.
 */
function hierarchiesOf(pid: number | 'self'): Hierarchy[] {
  const memberships = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .trim()
    .split('\n')
    .map(line => {
      const [, list, path] = line.split(':');
      return { controllers: list === '' ? [] : list.split(','), path };
    });
  const v1 = memberships.filter(m => m.controllers.some(c => V1_CONTROLLERS.includes(c)));
  if (v1.length > 0) {
    return v1.map(m => ({ controllers: m.controllers, dir: join(CGROUP_MOUNT, m.controllers.join(','), m.path) }));
  }
  const v2 = memberships.find(m => m.controllers.length === 0);
  if (!v2) {
    throw new CgroupRefused(`no cgroup membership in /proc/${pid}/cgroup`);
  }
  return [{ controllers: [], dir: join(CGROUP_MOUNT, v2.path) }];
}

/** The cgroup directories (memory and CPU) of a running process. */
export function cgroupDirsOf(pid: number | 'self'): string[] {
  return hierarchiesOf(pid).map(h => h.dir);
}

/** A command line that moves itself into `dirs` and then runs `command` there. */
export function inCgroups(dirs: string[], command: string[]): string[] {
  const joins = dirs.map(dir => `echo $$ > '${dir}/cgroup.procs'`).join(' && ');
  return ['/bin/sh', '-c', `${joins} && exec "$@"`, 'sh', ...command];
}

function write(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (error) {
    throw new CgroupRefused(`cannot write ${value} to ${file}: ${(error as Error).message}`);
  }
}

/** Fresh child cgroups (unique `name`) under this process's own, with the given limits. */
export class ChildCgroups {
  private readonly hierarchies: Hierarchy[] = [];

  constructor(name: string, limits: CgroupLimits = {}) {
    try {
      for (const parent of hierarchiesOf('self')) {
        const dir = join(parent.dir, name);
        try {
          mkdirSync(dir);
        } catch (error) {
          throw new CgroupRefused(`cannot create ${dir}: ${(error as Error).message}`);
        }
        this.hierarchies.push({ controllers: parent.controllers, dir });
      }
      this.applyLimits(limits);
    } catch (error) {
      // Nothing has joined them yet, so they can go at once.
      this.hierarchies.forEach(h => rmdirSync(h.dir));
      throw error;
    }
  }

  get dirs(): string[] {
    return this.hierarchies.map(h => h.dir);
  }

  private get isV2(): boolean {
    return this.hierarchies.length === 1 && this.hierarchies[0].controllers.length === 0;
  }

  private dirOf(controller: string): string {
    const found = this.hierarchies.find(h => h.controllers.length === 0 || h.controllers.includes(controller));
    if (!found) {
      throw new CgroupRefused(`no ${controller} hierarchy`);
    }
    return found.dir;
  }

  private applyLimits(limits: CgroupLimits): void {
    if (limits.memoryBytes !== undefined) {
      const file = this.isV2 ? 'memory.max' : 'memory.limit_in_bytes';
      write(join(this.dirOf('memory'), file), String(limits.memoryBytes));
    }
    if (limits.cpuQuotaUs !== undefined) {
      const cpu = this.dirOf('cpu');
      if (this.isV2) {
        write(join(cpu, 'cpu.max'), `${limits.cpuQuotaUs} ${CPU_PERIOD_US}`);
      } else {
        write(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        write(join(cpu, 'cpu.cfs_quota_us'), String(limits.cpuQuotaUs));
      }
    }
  }

  /** Ids of the processes still inside. */
  pids(): number[] {
    const pids = new Set<number>();
    for (const dir of this.dirs) {
      readFileSync(join(dir, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter(line => line.trim() !== '')
        .forEach(line => pids.add(Number(line)));
    }
    return [...pids];
  }

  /** Kills whatever is left inside, then removes the directories once the kernel lets go. */
  async remove(): Promise<void> {
    const deadline = Date.now() + 15000;
    while (this.hierarchies.length > 0) {
      const { dir } = this.hierarchies[this.hierarchies.length - 1];
      try {
        for (const pid of this.pids()) {
          process.kill(pid, 'SIGKILL');
        }
        rmdirSync(dir);
        this.hierarchies.pop();
      } catch (error) {
        if (Date.now() > deadline) {
          console.warn(`could not remove cgroup ${dir}: ${(error as Error).message}`);
          this.hierarchies.pop();
        } else {
          // Killed processes leave the cgroup asynchronously.
          await new Promise(resolve => setTimeout(resolve, 100));
        }
      }
    }
  }
}
