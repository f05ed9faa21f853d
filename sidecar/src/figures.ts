/**
 * What one measurement (cgroup v2, cgroup v1 or host) yields before the limits are resolved
 * against MEM_LIMIT/CPU_LIMIT and the machine. The caller never branches on the cgroup
 * version: every measurement fills this one shape.
 */
import type { MemoryBreakdown, PidsSample, PressureSample } from '../../src/sample.js';

export interface MemoryFigures {
  used: number | null;
  usage: number | null;
  cache: number | null;
  swap: number | null;
  oomKills: number | null;
  /** Tightest cgroup limit in bytes; Infinity when the cgroup sets none. */
  limit: number;
  /** What usage is made of (cgroup sources only). */
  breakdown?: MemoryBreakdown;
  /** The machine's memory when the measurement already read it (host), else read on demand. */
  hostTotal?: number | null;
}

export interface CpuFigures {
  usageSeconds: number | null;
  /** Tightest CFS quota in cores; Infinity when none. */
  quota: number;
  /** CPUs in the effective cpuset; null when there is no cpuset to read. */
  cpusetSize: number | null;
  periods: number | null;
  throttledPeriods: number | null;
  throttledSeconds: number | null;
}

export interface Figures {
  memory: MemoryFigures;
  cpu: CpuFigures;
  pids: PidsSample;
  pressure: PressureSample;
}
