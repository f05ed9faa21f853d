/**
 * The sidecar's sample: the one data shape shared by the sidecar (which produces it)
 * and the JupyterLab plugin (which renders it). Names follow docs/sidecar.md; add fields,
 * never rename or remove them. Types only: nothing here exists at run time.
 */

/** Where the figures come from. */
export type SampleSource = 'cgroup-v2' | 'cgroup-v1' | 'host';

/** Where a limit comes from: the cgroup, JupyterHub's MEM_LIMIT/CPU_LIMIT, or the machine. */
export type LimitSource = 'cgroup' | 'env' | 'host';

/** One line of a PSI file (`some` or `full`): percentages of wall time, total in µs. */
export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  total: number;
}

/** A PSI file (`cpu.pressure`, `memory.pressure`, `io.pressure`). */
export interface Pressure {
  some: PressureLine;
  /** Absent from cpu.pressure on older kernels. */
  full: PressureLine | null;
}

export interface MemorySample {
  /** Bytes: working set = usage - inactive file cache, clamped at 0 (host: MemTotal - MemAvailable). */
  used: number | null;
  /** Bytes: everything charged to the cgroup, page cache included. */
  usage: number | null;
  /** Bytes: file-backed page cache. */
  cache: number | null;
  /** Bytes: tightest cgroup limit on the path to the root, else MEM_LIMIT, else MemTotal. */
  limit: number | null;
  limitSource: LimitSource;
  /** Bytes of swap in use, where the kernel tells. */
  swap: number | null;
  /** Cumulative OOM kills in this cgroup, where the kernel tells. */
  oomKills: number | null;
}

export interface CpuSample {
  /** Cores in use, averaged over the last interval; null until two readings exist. */
  used: number | null;
  /** Cores: min(quota/period over ancestors, cpuset size, online CPUs), else CPU_LIMIT, else online CPUs. */
  limit: number;
  limitSource: LimitSource;
  /** CPUs online on the machine: what os.cpu_count() and most programs see. */
  hostCpus: number;
  /** Cumulative CPU time of the cgroup, seconds. */
  usageSeconds: number | null;
  /** nr_throttled / nr_periods over the last interval; null when unknown or no periods elapsed. */
  throttledRatio: number | null;
  /** Cumulative CFS periods with a quota in force (cpu.stat nr_periods), null if unknown. */
  periods: number | null;
  /** Cumulative periods in which the cgroup was throttled (cpu.stat nr_throttled), null if unknown. */
  throttledPeriods: number | null;
  /** Cumulative time throttled, seconds (cpu.stat throttled_usec, v1 throttled_time), null if unknown. */
  throttledSeconds: number | null;
}

export interface PidsSample {
  current: number | null;
  max: number | null;
}

/**
 * Whose stalls the PSI figures count: the session's cgroup, or the whole machine (the root
 * of the v2 tree on hybrid v1 machines, /proc/pressure without a cgroup).
 */
export type PressureScope = 'cgroup' | 'machine';

export interface PressureSample {
  cpu: Pressure | null;
  memory: Pressure | null;
  io: Pressure | null;
  /** Null where there is no PSI source at all (cgroup v1 without a v2 tree, non-Linux). */
  scope: PressureScope | null;
}

export interface DiskSample {
  path: string;
  used: number;
  total: number;
}

export interface Sample {
  version: 1;
  /** Milliseconds since the epoch. */
  timestamp: number;
  source: SampleSource;
  memory: MemorySample;
  cpu: CpuSample;
  pids: PidsSample;
  pressure: PressureSample;
  disk: DiskSample | null;
  /** One short string per thing that could not be read. */
  errors: string[];
}

/** `GET /api/v1/history?seconds=N`. */
export interface HistoryResponse {
  version: 1;
  intervalMs: number;
  samples: Sample[];
}

/** The body of every error answer from the sidecar (404, 400, ...). */
export interface ErrorResponse {
  error: string;
}
