/** What the figures were measured on: stated beside every table the benchmarks write. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** "v2", "v1" or "hybrid (...)", from the cgroup mounts in mountinfo. */
  cgroupLayout: string;
  /** This process's memory cgroup (or the v2 path), from /proc/self/cgroup. */
  cgroup: string;
  node: string;
  load: number[];
}

function cgroupLayout(): string {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map(line => line.split(' - '))
    .filter(parts => parts.length === 2)
    .map(([before, after]) => ({ point: before.split(' ')[4], type: after.split(' ')[0] }));
  const v2 = mounts.filter(mount => mount.type === 'cgroup2').map(mount => mount.point);
  const v1 = mounts.filter(mount => mount.type === 'cgroup').map(mount => mount.point);
  if (v1.length === 0) return `v2 (${v2.join(', ')})`;
  if (v2.length === 0) return `v1 (${v1.length} hierarchies)`;
  return `hybrid: v1 controllers (${v1.length} hierarchies) plus cgroup2 at ${v2.join(', ')}`;
}

function ownCgroup(): string {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const memory = lines.find(line => line.split(':')[1]?.split(',').includes('memory'));
  return memory ? `memory:${memory.split(':')[2]}` : (lines.find(line => line.startsWith('0::'))?.slice(3) ?? '?');
}

export function describeMachine(): Machine {
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    cgroupLayout: cgroupLayout(),
    cgroup: ownCgroup(),
    node: process.version,
    load: loadavg().map(value => Math.round(value * 100) / 100)
  };
}

/** Markdown bullet lines describing the machine. */
export function machineMarkdown(machine: Machine): string[] {
  return [
    `- date: ${machine.date}`,
    `- CPUs: ${machine.cpus} (nproc), ${machine.cpuModel}; memory ${machine.memoryGiB} GiB`,
    `- kernel: Linux ${machine.kernel}`,
    `- cgroups: ${machine.cgroupLayout}; the benchmark ran in ${machine.cgroup}`,
    `- Node.js ${machine.node}; load average (1/5/15 min) at the start: ${machine.load.join(' / ')}`
  ];
}
