/** Measuring cgroup v1 hierarchies (one directory per controller), PSI from the v2 tree on hybrid machines. */
import type { CpuFigures, Figures, MemoryFigures } from './figures.js';
import type { CgroupLocation, V1Controller } from './discovery.js';
import { keyedValue, Problems, readOptional, readParsed, tightestLimit } from './files.js';
import {
  finiteOrNull,
  parseCfsQuota,
  parseCpuListSize,
  parseInteger,
  parseKeyedIntegers,
  parseMaxOrInteger,
  parseV1MemoryLimit,
  V1_NO_LIMIT_THRESHOLD
} from './parse.js';
import { readPressure } from './pressure.js';

type Controllers = Partial<Record<V1Controller, CgroupLocation>>;

const NO_MEMORY: MemoryFigures = { used: null, usage: null, cache: null, swap: null, oomKills: null, limit: Infinity };

/** memory.stat counts the cgroup's own pages under "name" and the whole subtree under "total_name". */
function statValue(stat: Map<string, number>, name: string, path: string, problems: Problems): number | undefined {
  return keyedValue(stat, `total_${name}`, path, problems) ?? keyedValue(stat, name, path, problems);
}

function readMemory(memory: CgroupLocation, problems: Problems): MemoryFigures {
  const file = (name: string) => `${memory.dir}/${name}`;
  const usage = readParsed(file('memory.usage_in_bytes'), problems, true, parseInteger, 'an integer');
  const stat = readParsed(file('memory.stat'), problems, true, parseKeyedIntegers, 'key value lines');
  const inactiveFile = stat === null ? undefined : statValue(stat, 'inactive_file', file('memory.stat'), problems);
  if (stat !== null && inactiveFile === undefined) {
    problems.add(file('memory.stat'), 'no total_inactive_file or inactive_file line');
  }

  // memory.stat's hierarchical_memory_limit already folds in the ancestors, but only those
  // inside the mount; the explicit walk covers kernels and layouts where it is missing.
  let limit = tightestLimit(memory.chain, 'memory.limit_in_bytes', problems, true, parseV1MemoryLimit, 'an integer');
  const hierarchical = stat === null ? undefined : keyedValue(stat, 'hierarchical_memory_limit', file('memory.stat'), problems);
  if (hierarchical !== undefined && hierarchical < V1_NO_LIMIT_THRESHOLD) {
    limit = Math.min(limit, hierarchical);
  }

  // Swap: memsw counts memory + swap; both memsw and total_swap exist only with swap accounting.
  const memsw = readParsed(file('memory.memsw.usage_in_bytes'), problems, false, parseInteger, 'an integer');
  const statSwap = stat === null ? undefined : statValue(stat, 'swap', file('memory.stat'), problems);
  const swap = memsw !== null && usage !== null ? Math.max(0, memsw - usage) : statSwap ?? null;

  // oom_kill appeared in memory.oom_control with kernel 4.13; older kernels have only the flags.
  const oomControl = readParsed(file('memory.oom_control'), problems, false, parseKeyedIntegers, 'key value lines');
  const oomKills = oomControl === null ? undefined : keyedValue(oomControl, 'oom_kill', file('memory.oom_control'), problems);

  return {
    usage,
    // Working set, as kubelet, cAdvisor and docker stats compute it.
    used: usage !== null && inactiveFile !== undefined ? Math.max(0, usage - inactiveFile) : null,
    cache: (stat && statValue(stat, 'cache', file('memory.stat'), problems)) ?? null,
    limit,
    swap,
    oomKills: oomKills ?? null
  };
}

/** The tightest CFS quota over the cpu hierarchy, in cores; Infinity when none (or no CFS bandwidth). */
function tightestQuota(cpu: CgroupLocation, problems: Problems): number {
  let tightest = Infinity;
  for (const dir of cpu.chain) {
    const quota = readOptional(`${dir}/cpu.cfs_quota_us`, problems);
    const period = readOptional(`${dir}/cpu.cfs_period_us`, problems);
    if (quota === null || period === null) {
      continue;
    }
    const cores = parseCfsQuota(quota, period);
    if (Number.isNaN(cores)) {
      problems.add(`${dir}/cpu.cfs_quota_us`, 'malformed (expected an integer quota or -1 and a positive period)');
    } else {
      tightest = Math.min(tightest, cores);
    }
  }
  return tightest;
}

function readCpu(controllers: Controllers, problems: Problems): CpuFigures {
  const { cpu, cpuacct, cpuset } = controllers;
  let usageSeconds: number | null = null;
  if (cpuacct === undefined) {
    problems.add('/proc/self/cgroup', 'no cpuacct hierarchy; CPU usage unknown');
  } else {
    const usageNs = readParsed(`${cpuacct.dir}/cpuacct.usage`, problems, true, parseInteger, 'an integer');
    usageSeconds = usageNs === null ? null : usageNs / 1e9;
  }
  const cpuStat = cpu && readParsed(`${cpu.dir}/cpu.stat`, problems, false, parseKeyedIntegers, 'key value lines');
  const statPath = `${cpu?.dir}/cpu.stat`;
  return {
    usageSeconds,
    quota: cpu === undefined ? Infinity : tightestQuota(cpu, problems),
    cpusetSize:
      cpuset === undefined
        ? null
        : readParsed(`${cpuset.dir}/cpuset.effective_cpus`, problems, false, parseCpuListSize, 'a CPU list'),
    periods: (cpuStat && keyedValue(cpuStat, 'nr_periods', statPath, problems)) ?? null,
    throttledPeriods: (cpuStat && keyedValue(cpuStat, 'nr_throttled', statPath, problems)) ?? null
  };
}

export function readCgroupV1(controllers: Controllers, unified: CgroupLocation | null, problems: Problems): Figures {
  const { memory, pids } = controllers;
  if (memory === undefined) {
    problems.add('/proc/self/cgroup', 'no memory hierarchy; memory figures unknown');
  }
  return {
    memory: memory === undefined ? NO_MEMORY : readMemory(memory, problems),
    cpu: readCpu(controllers, problems),
    // The root of the pids hierarchy has neither pids.current nor pids.max: null, not an error.
    pids: {
      current: pids ? readParsed(`${pids.dir}/pids.current`, problems, false, parseInteger, 'an integer') : null,
      max: pids
        ? finiteOrNull(tightestLimit(pids.chain, 'pids.max', problems, false, parseMaxOrInteger, '"max" or an integer'))
        : null
    },
    // Hybrid machines: PSI lives only in the v2 tree.
    pressure: unified
      ? readPressure((resource) => `${unified.dir}/${resource}.pressure`, problems)
      : { cpu: null, memory: null, io: null }
  };
}
