/** Measuring a cgroup v2 directory (the unified hierarchy). */
import type { PressureScope } from '../../src/sample.js';
import type { CgroupLocation } from './discovery.js';
import { Problems, readKeyed, readParsed, tightestLimit } from './files.js';
import type { Figures } from './figures.js';
import {
  finiteOrNull,
  parseCpuListSize,
  parseCpuMax,
  parseInteger,
  parseMaxOrInteger,
  parsePidCount,
  parsePidsMax
} from './parse.js';
import { readPressure } from './pressure.js';
import { tightestQuota } from './quota.js';

const LIMIT = '"max" or an integer';
/** What memory.stat's `kernel` line sums, for kernels older than 5.18 that lack it. */
const KERNEL_PARTS = ['kernel_stack', 'pagetables', 'percpu', 'slab'];

/** The sum, or null when any part is unknown. */
function sumOrNull(parts: (number | null)[]): number | null {
  return parts.includes(null) ? null : (parts as number[]).reduce((sum, part) => sum + part, 0);
}

export function readCgroupV2(cgroup: CgroupLocation, pressureScope: PressureScope, problems: Problems): Figures {
  const file = (name: string) => `${cgroup.dir}/${name}`;
  const limit = (name: string, parse: (text: string) => number, expected: string) =>
    tightestLimit(cgroup.chain, name, problems, false, parse, expected);

  const usage = readParsed(file('memory.current'), problems, true, parseInteger, 'an integer');
  const memoryStat = readKeyed(file('memory.stat'), problems, true);
  const inactiveFile = memoryStat.require('inactive_file');
  const cpuStat = readKeyed(file('cpu.stat'), problems, true);
  const usageUsec = cpuStat.require('usage_usec');
  // "max" (no quota) parses as Infinity, which never wins.
  const quota = tightestQuota(cgroup.chain, dir =>
    readParsed(`${dir}/cpu.max`, problems, false, parseCpuMax, '"QUOTA PERIOD"')
  );
  // nr_periods/nr_throttled exist only where the cpu controller is enabled.
  const throttling = quota.holder === cgroup.dir ? cpuStat : readKeyed(`${quota.holder}/cpu.stat`, problems, true);
  const throttledUsec = throttling.get('throttled_usec');

  return {
    memory: {
      usage,
      // Working set, as kubelet and cAdvisor compute it.
      used: usage !== null && inactiveFile !== null ? Math.max(0, usage - inactiveFile) : null,
      cache: memoryStat.require('file'),
      limit: limit('memory.max', parseMaxOrInteger, LIMIT),
      swap: readParsed(file('memory.swap.current'), problems, false, parseInteger, 'an integer'),
      // oom_kill appeared in memory.events with kernel 4.13, before any kernel in use with v2 memory.
      oomKills: readKeyed(file('memory.events'), problems, false).require('oom_kill'),
      breakdown: {
        anon: memoryStat.get('anon'),
        activeFile: memoryStat.get('active_file'),
        inactiveFile,
        shmem: memoryStat.get('shmem'),
        // `kernel` since Linux 5.18; before it, the parts it sums.
        kernel: memoryStat.get('kernel') ?? sumOrNull(KERNEL_PARTS.map(name => memoryStat.get(name))),
        slabReclaimable: memoryStat.get('slab_reclaimable'),
        sock: memoryStat.get('sock')
      }
    },
    cpu: {
      usageSeconds: usageUsec === null ? null : usageUsec / 1e6,
      quota: quota.cores,
      cpusetSize: readParsed(file('cpuset.cpus.effective'), problems, false, parseCpuListSize, 'a CPU list'),
      periods: throttling.get('nr_periods'),
      throttledPeriods: throttling.get('nr_throttled'),
      throttledSeconds: throttledUsec === null ? null : throttledUsec / 1e6
    },
    pids: {
      current: readParsed(file('pids.current'), problems, false, parsePidCount, 'a task count'),
      max: finiteOrNull(limit('pids.max', parsePidsMax, '"max" or a task count'))
    },
    pressure: readPressure(resource => file(`${resource}.pressure`), pressureScope, problems)
  };
}
