/** Measuring cgroup v1 hierarchies (one directory per controller), PSI from the v2 tree on hybrid machines. */
import type { PressureScope } from '../../src/sample.js';
import type { CpuFigures, Figures, MemoryFigures } from './figures.js';
import type { CgroupLocation, V1Controller } from './discovery.js';
import { Problems, readKeyed, readOptional, readParsed, tightestLimit } from './files.js';
import {
  finiteOrNull,
  parseCfsQuota,
  parseCpuListSize,
  parseInteger,
  parsePidCount,
  parsePidsMax,
  parseNanoseconds,
  parseV1MemoryLimit,
  V1_NO_LIMIT_THRESHOLD
} from './parse.js';
import { NO_PRESSURE, readPressure } from './pressure.js';
import { tightestQuota, type Quota } from './quota.js';

type Controllers = Partial<Record<V1Controller, CgroupLocation>>;

const NO_MEMORY: MemoryFigures = { used: null, usage: null, cache: null, swap: null, oomKills: null, limit: Infinity };

function readMemory(memory: CgroupLocation, problems: Problems): MemoryFigures {
  const file = (name: string) => `${memory.dir}/${name}`;
  const usage = readParsed(file('memory.usage_in_bytes'), problems, true, parseInteger, 'an integer');
  // memory.stat counts the cgroup's own pages under "name" and its whole subtree under "total_name".
  const stat = readKeyed(file('memory.stat'), problems, true);
  const inactiveFile = stat.require('total_inactive_file', 'inactive_file');

  // memory.stat's hierarchical_memory_limit already folds in the ancestors, but only those
  // inside the mount; the explicit walk covers kernels and layouts where it is missing.
  const limits = tightestLimit(memory.chain, 'memory.limit_in_bytes', problems, true, parseV1MemoryLimit, 'an integer');
  const hierarchical = stat.getParsed('hierarchical_memory_limit', parseV1MemoryLimit);
  const limit = hierarchical !== null && hierarchical < V1_NO_LIMIT_THRESHOLD ? Math.min(limits, hierarchical) : limits;

  // Swap: memsw counts memory + swap; both memsw and total_swap exist only with swap accounting.
  const memsw = readParsed(file('memory.memsw.usage_in_bytes'), problems, false, parseInteger, 'an integer');
  const swap = memsw !== null && usage !== null ? Math.max(0, memsw - usage) : stat.get('total_swap', 'swap');

  return {
    usage,
    // Working set, as kubelet, cAdvisor and docker stats compute it.
    used: usage !== null && inactiveFile !== null ? Math.max(0, usage - inactiveFile) : null,
    cache: stat.get('total_cache', 'cache'),
    limit,
    swap,
    // oom_kill appeared in memory.oom_control with kernel 4.13; older kernels have only the flags.
    oomKills: readKeyed(file('memory.oom_control'), problems, false).get('oom_kill'),
    breakdown: {
      anon: stat.get('total_rss', 'rss'),
      activeFile: stat.get('total_active_file', 'active_file'),
      inactiveFile,
      shmem: stat.get('total_shmem', 'shmem'),
      // Absent where the kernel was booted with cgroup.memory=nokmem.
      kernel: readParsed(file('memory.kmem.usage_in_bytes'), problems, false, parseInteger, 'an integer'),
      slabReclaimable: null,
      sock: readParsed(file('memory.kmem.tcp.usage_in_bytes'), problems, false, parseInteger, 'an integer')
    }
  };
}

/** The tightest CFS quota over the cpu hierarchy (-1 = none; no files = no CFS bandwidth). */
function readQuota(cpu: CgroupLocation, problems: Problems): Quota {
  return tightestQuota(cpu.chain, dir => {
    const quota = readOptional(`${dir}/cpu.cfs_quota_us`, problems);
    const period = readOptional(`${dir}/cpu.cfs_period_us`, problems);
    if (quota === null || period === null) {
      return null;
    }
    const cores = parseCfsQuota(quota, period);
    if (Number.isNaN(cores)) {
      problems.add(
        `${dir}/cpu.cfs_quota_us`,
        'malformed (expected a quota of at least 1000 µs or -1, and a period of 1000 to 1000000 µs)'
      );
      return null;
    }
    return cores;
  });
}

function readCpu(controllers: Controllers, problems: Problems): CpuFigures {
  const { cpu, cpuacct, cpuset } = controllers;
  let usageSeconds: number | null = null;
  if (cpuacct === undefined) {
    problems.add('/proc/self/cgroup', 'no cpuacct hierarchy; CPU usage unknown');
  } else {
    const usageNs = readParsed(`${cpuacct.dir}/cpuacct.usage`, problems, true, parseNanoseconds, 'an integer');
    usageSeconds = usageNs === null ? null : usageNs / 1e9;
  }
  const quota = cpu && readQuota(cpu, problems);
  // Throttling is accounted where the quota is (usage stays the own cgroup's, from cpuacct).
  const cpuStat = quota && readKeyed(`${quota.holder}/cpu.stat`, problems, false);
  const throttledNs = cpuStat?.get('throttled_time') ?? null;
  return {
    usageSeconds,
    quota: quota?.cores ?? Infinity,
    cpusetSize:
      cpuset === undefined
        ? null
        : readParsed(`${cpuset.dir}/cpuset.effective_cpus`, problems, false, parseCpuListSize, 'a CPU list'),
    periods: cpuStat?.get('nr_periods') ?? null,
    throttledPeriods: cpuStat?.get('nr_throttled') ?? null,
    throttledSeconds: throttledNs === null ? null : throttledNs / 1e9
  };
}

export function readCgroupV1(
  controllers: Controllers,
  unified: CgroupLocation | null,
  pressureScope: PressureScope | null,
  problems: Problems
): Figures {
  const { memory, pids } = controllers;
  if (memory === undefined) {
    problems.add('/proc/self/cgroup', 'no memory hierarchy; memory figures unknown');
  }
  return {
    memory: memory === undefined ? NO_MEMORY : readMemory(memory, problems),
    cpu: readCpu(controllers, problems),
    // The root of the pids hierarchy has neither pids.current nor pids.max: null, not an error.
    pids: {
      current: pids ? readParsed(`${pids.dir}/pids.current`, problems, false, parsePidCount, 'a task count') : null,
      max: pids
        ? finiteOrNull(tightestLimit(pids.chain, 'pids.max', problems, false, parsePidsMax, '"max" or a task count'))
        : null
    },
    // Hybrid machines: PSI lives only in the v2 tree.
    pressure:
      unified && pressureScope
        ? readPressure(resource => `${unified.dir}/${resource}.pressure`, pressureScope, problems)
        : NO_PRESSURE
  };
}
