/**
 * The sidecar's sample: the one data shape shared by the sidecar (which produces it)
 * and the JupyterLab plugin (which renders it). Names follow docs/sidecar.md; add fields,
 * never rename or remove them. Besides the types, only `sampleProblems`/`isSample`, the one
 * check of the shape (the plugin's guard on what it receives, and the tests' contract check).
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

/**
 * What the memory charged to the cgroup is made of, from memory.stat (v1 `total_*` names, v2
 * names), in bytes; null where this kernel or cgroup version does not say.
 */
export interface MemoryBreakdown {
  /** Anonymous memory (heaps, stacks; v1 total_rss): reclaimable only by swapping it out. */
  anon: number | null;
  /** Page cache recently used, and not: the kernel reclaims the inactive part first. */
  activeFile: number | null;
  inactiveFile: number | null;
  /** Shared memory (/dev/shm, tmpfs, shared anonymous mappings): part of the page cache, yet not reclaimable without swap. */
  shmem: number | null;
  /** Memory the kernel allocated for the cgroup (v2 `kernel`, else its parts; v1 memory.kmem.usage_in_bytes). */
  kernel: number | null;
  /** The reclaimable part of the kernel's slab caches (dentries, inodes): v2 only. */
  slabReclaimable: number | null;
  /** Socket buffers (v2 `sock`; v1 memory.kmem.tcp.usage_in_bytes). */
  sock: number | null;
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
  /** What usage is made of; absent on the host source (no cgroup memory.stat). */
  breakdown?: MemoryBreakdown;
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

const SOURCES: readonly string[] = ['cgroup-v2', 'cgroup-v1', 'host'] satisfies SampleSource[];
const LIMIT_SOURCES: readonly string[] = ['cgroup', 'env', 'host'] satisfies LimitSource[];
const PRESSURE_SCOPES: readonly unknown[] = ['cgroup', 'machine', null] satisfies (PressureScope | null)[];

const BREAKDOWN_FIELDS = [
  'anon',
  'activeFile',
  'inactiveFile',
  'shmem',
  'kernel',
  'slabReclaimable',
  'sock'
] satisfies (keyof MemoryBreakdown)[];

type Checked = Record<string, unknown>;

/**
 * What in `value` does not have the shape of a version-1 sample as docs/sidecar.md names it,
 * one string per problem (empty: it is a Sample).
 */
export function sampleProblems(value: unknown): string[] {
  const problems: string[] = [];
  const object = (v: unknown, name: string, fields: string[]): v is Checked => {
    if (typeof v !== 'object' || v === null) {
      problems.push(`${name} is not an object`);
      return false;
    }
    const missing = fields.filter(field => !(field in v));
    problems.push(...missing.map(field => `${name}.${field} missing`));
    return missing.length === 0;
  };
  const numberOrNull = (v: unknown, name: string) => {
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
      problems.push(`${name}: ${String(v)}`);
    }
  };
  const oneOf = (v: unknown, allowed: readonly unknown[], name: string) => {
    if (!allowed.includes(v)) {
      problems.push(`${name}: ${String(v)}`);
    }
  };
  const pressure = (v: unknown, name: string) => {
    if (v === null || !object(v, name, ['some', 'full'])) {
      return;
    }
    for (const kind of ['some', 'full']) {
      const line = v[kind];
      if (kind === 'full' && line === null) {
        continue;
      }
      if (object(line, `${name}.${kind}`, ['avg10', 'avg60', 'avg300', 'total'])) {
        for (const field of ['avg10', 'avg60', 'avg300', 'total']) {
          numberOrNull(line[field], `${name}.${kind}.${field}`);
        }
      }
    }
  };

  const fields = ['version', 'timestamp', 'source', 'memory', 'cpu', 'pids', 'pressure', 'disk', 'errors'];
  if (!object(value, 'sample', fields)) {
    return problems;
  }
  if (value.version !== 1) {
    problems.push(`version: ${String(value.version)}`);
  }
  if (typeof value.timestamp !== 'number') {
    problems.push(`timestamp: ${String(value.timestamp)}`);
  }
  oneOf(value.source, SOURCES, 'source');
  const { memory, cpu, pids } = value;
  if (object(memory, 'memory', ['used', 'usage', 'cache', 'limit', 'limitSource', 'swap', 'oomKills'])) {
    for (const field of ['used', 'usage', 'cache', 'limit', 'swap', 'oomKills']) {
      numberOrNull(memory[field], `memory.${field}`);
    }
    oneOf(memory.limitSource, LIMIT_SOURCES, 'memory.limitSource');
    if (memory.breakdown !== undefined && object(memory.breakdown, 'memory.breakdown', BREAKDOWN_FIELDS)) {
      const breakdown = memory.breakdown;
      BREAKDOWN_FIELDS.forEach(field => numberOrNull(breakdown[field], `memory.breakdown.${field}`));
    }
  }
  const cpuNumbers = ['usageSeconds', 'throttledRatio', 'periods', 'throttledPeriods', 'throttledSeconds'];
  if (object(cpu, 'cpu', ['used', 'limit', 'limitSource', 'hostCpus', ...cpuNumbers])) {
    for (const field of ['used', ...cpuNumbers]) {
      numberOrNull(cpu[field], `cpu.${field}`);
    }
    for (const field of ['limit', 'hostCpus']) {
      if (typeof cpu[field] !== 'number') {
        problems.push(`cpu.${field}: ${String(cpu[field])}`);
      }
    }
    oneOf(cpu.limitSource, LIMIT_SOURCES, 'cpu.limitSource');
  }
  if (object(pids, 'pids', ['current', 'max'])) {
    numberOrNull(pids.current, 'pids.current');
    numberOrNull(pids.max, 'pids.max');
  }
  if (object(value.pressure, 'pressure', ['cpu', 'memory', 'io', 'scope'])) {
    for (const kind of ['cpu', 'memory', 'io']) {
      pressure(value.pressure[kind], `pressure.${kind}`);
    }
    oneOf(value.pressure.scope, PRESSURE_SCOPES, 'pressure.scope');
  }
  if (value.disk !== null && object(value.disk, 'disk', ['path', 'used', 'total'])) {
    if (typeof value.disk.path !== 'string') {
      problems.push('disk.path is not a string');
    }
    for (const field of ['used', 'total']) {
      if (typeof value.disk[field] !== 'number') {
        problems.push(`disk.${field}: ${String(value.disk[field])}`);
      }
    }
  }
  if (!Array.isArray(value.errors) || !value.errors.every(error => typeof error === 'string')) {
    problems.push('errors is not a list of strings');
  }
  return problems;
}

/** True when `value` has the shape of a version-1 sample (see sampleProblems). */
export function isSample(value: unknown): value is Sample {
  return sampleProblems(value).length === 0;
}

/**
 * One kernel of this Jupyter server, as `GET /api/v1/kernels` finds it: the process whose
 * command line names the connection file `kernel-<id>.json`, and every process below it.
 * A kernel that cannot be seen (its process hidden or gone) is not listed; `errors` says why.
 */
export interface KernelUsage {
  /** The kernel id, from `kernel-<id>.json`: what JupyterLab's sessions call the kernel. */
  id: string;
  /** The kernel's own process (the root of its tree). */
  pid: number;
  /** The root process's command name (`comm`: python3, R, julia, xpython, ...). */
  command: string;
  /** Bytes: resident set size summed over the tree (pages shared by forked children counted in each). */
  rss: number;
  /** Cores in use by the tree since the previous answer; null on the first answer. */
  cpu: number | null;
  /** Processes in the tree, the kernel's own included. */
  processes: number;
}

/** `GET /api/v1/kernels`. */
export interface KernelsResponse {
  version: 1;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** The process whose descendants were searched (the Jupyter server that started the sidecar). */
  serverPid: number;
  /** How long the scan took, ms. */
  scanMs: number;
  /** Sorted by rss, largest first. */
  kernels: KernelUsage[];
  /** Why kernels may be missing altogether (not Linux, unreadable /proc entries). */
  errors: string[];
}

/** `POST /api/v1/kernels/<id>/pss`: the proportional set size of one kernel's tree, measured once. */
export interface KernelPssResponse {
  version: 1;
  id: string;
  /** Bytes: each shared page divided among the processes that map it; null when no process could be read. */
  pss: number | null;
  /** Bytes: the same tree's RSS, read in the same pass, for comparison. */
  rss: number | null;
  processes: number;
  /** Processes whose smaps_rollup could not be read (vanished, hidden). */
  unreadable: number;
  /** How long the measurement took, ms. */
  durationMs: number;
  errors: string[];
}
