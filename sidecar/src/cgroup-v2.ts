/** Measuring a cgroup v2 directory (the unified hierarchy). */
import type { CgroupLocation } from './discovery.js';
import { keyedValue, Problems, readParsed, tightestLimit } from './files.js';
import type { Figures } from './figures.js';
import {
  finiteOrNull,
  parseCpuListSize,
  parseCpuMax,
  parseInteger,
  parseKeyedIntegers,
  parseMaxOrInteger
} from './parse.js';
import { readPressure } from './pressure.js';

const LIMIT = '"max" or an integer';

export function readCgroupV2(cgroup: CgroupLocation, problems: Problems): Figures {
  const file = (name: string) => `${cgroup.dir}/${name}`;

  const usage = readParsed(file('memory.current'), problems, true, parseInteger, 'an integer');
  const memoryStat = readParsed(file('memory.stat'), problems, true, parseKeyedIntegers, 'key value lines');
  let inactiveFile: number | undefined;
  let cache: number | undefined;
  if (memoryStat !== null) {
    inactiveFile = keyedValue(memoryStat, 'inactive_file', file('memory.stat'), problems);
    cache = keyedValue(memoryStat, 'file', file('memory.stat'), problems);
    if (!memoryStat.has('inactive_file') || !memoryStat.has('file')) {
      problems.add(file('memory.stat'), 'no inactive_file or file line');
    }
  }
  const memoryEvents = readParsed(file('memory.events'), problems, false, parseKeyedIntegers, 'key value lines');
  const cpuStat = readParsed(file('cpu.stat'), problems, true, parseKeyedIntegers, 'key value lines');
  const usageUsec = cpuStat && keyedValue(cpuStat, 'usage_usec', file('cpu.stat'), problems);
  if (cpuStat !== null && !cpuStat.has('usage_usec')) {
    problems.add(file('cpu.stat'), 'no usage_usec line');
  }

  return {
    memory: {
      usage,
      // Working set, as kubelet and cAdvisor compute it.
      used: usage !== null && inactiveFile !== undefined ? Math.max(0, usage - inactiveFile) : null,
      cache: cache ?? null,
      limit: tightestLimit(cgroup.chain, 'memory.max', problems, false, parseMaxOrInteger, LIMIT),
      swap: readParsed(file('memory.swap.current'), problems, false, parseInteger, 'an integer'),
      // oom_kill appeared in memory.events with kernel 4.13.
      oomKills: (memoryEvents && keyedValue(memoryEvents, 'oom_kill', file('memory.events'), problems)) ?? null
    },
    cpu: {
      usageSeconds: usageUsec == null ? null : usageUsec / 1e6,
      quota: tightestLimit(cgroup.chain, 'cpu.max', problems, false, parseCpuMax, '"QUOTA PERIOD"'),
      cpusetSize: readParsed(file('cpuset.cpus.effective'), problems, false, parseCpuListSize, 'a CPU list'),
      // nr_periods/nr_throttled exist only where the cpu controller is enabled.
      periods: (cpuStat && keyedValue(cpuStat, 'nr_periods', file('cpu.stat'), problems)) ?? null,
      throttledPeriods: (cpuStat && keyedValue(cpuStat, 'nr_throttled', file('cpu.stat'), problems)) ?? null
    },
    pids: {
      current: readParsed(file('pids.current'), problems, false, parseInteger, 'an integer'),
      max: finiteOrNull(tightestLimit(cgroup.chain, 'pids.max', problems, false, parseMaxOrInteger, LIMIT))
    },
    pressure: readPressure((resource) => file(`${resource}.pressure`), problems)
  };
}
