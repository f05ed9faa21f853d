/**
 * Host figures: the machine as a whole, where the process has no cgroup (or for the facts a
 * cgroup does not carry: online CPUs, MemTotal). On non-Linux systems, Node's `os` module and
 * `pidusage` on the sidecar's parent process (the Jupyter server).
 */
import * as os from 'node:os';
import * as path from 'node:path';

import { Problems, readKeyed, readParsed } from './files.js';
import type { Figures } from './figures.js';
import { parseCpuListSize, parseMeminfo, parseProcStatCpuSeconds } from './parse.js';
import { NO_PRESSURE, readPressure } from './pressure.js';

/** CPUs online on the machine; if the list cannot be read, what Node sees (with an error). */
export function readOnlineCpus(sysRoot: string, problems: Problems): number {
  const online = readParsed(
    path.join(sysRoot, 'devices/system/cpu/online'),
    problems,
    true,
    text => parseCpuListSize(text) || null,
    'a CPU list such as 0-3'
  );
  return online ?? os.cpus().length;
}

function meminfoValue(meminfo: Map<string, number>, key: string, file: string, problems: Problems): number | null {
  const value = meminfo.get(key);
  if (value === undefined) {
    problems.add(file, `no ${key} line`);
    return null;
  }
  if (Number.isNaN(value)) {
    problems.add(file, `malformed ${key}`);
    return null;
  }
  return value;
}

/** /proc/meminfo's MemTotal in bytes: the ceiling when nothing else limits memory. */
export function readMemTotal(procRoot: string, problems: Problems): number | null {
  const file = path.join(procRoot, 'meminfo');
  const meminfo = readParsed(file, problems, true, parseMeminfo, 'Key: value kB lines');
  return meminfo && meminfoValue(meminfo, 'MemTotal', file, problems);
}

function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.max(0, a - b);
}

/** The whole Linux machine: /proc/meminfo, /proc/stat, /proc/vmstat, /proc/pressure. */
export function readLinuxHost(procRoot: string, problems: Problems): Figures {
  const meminfoFile = path.join(procRoot, 'meminfo');
  const meminfo = readParsed(meminfoFile, problems, true, parseMeminfo, 'Key: value kB lines');
  const value = (key: string) => (meminfo === null ? null : meminfoValue(meminfo, key, meminfoFile, problems));
  const total = value('MemTotal');

  const statFile = path.join(procRoot, 'stat');
  const usageSeconds = readParsed(
    statFile,
    problems,
    true,
    parseProcStatCpuSeconds,
    'a first line "cpu  user nice system ..."'
  );

  return {
    memory: {
      used: difference(total, value('MemAvailable')),
      usage: difference(total, value('MemFree')),
      cache: value('Cached'),
      swap: difference(value('SwapTotal'), value('SwapFree')),
      // oom_kill appeared in /proc/vmstat with kernel 4.13.
      oomKills: readKeyed(path.join(procRoot, 'vmstat'), problems, false).get('oom_kill'),
      limit: Infinity,
      hostTotal: total
    },
    cpu: unlimitedCpu(usageSeconds),
    pids: { current: null, max: null },
    pressure: readPressure(resource => path.join(procRoot, 'pressure', resource), 'machine', problems)
  };
}

/** A host has no quota, cpuset limit or CFS counters: only the CPU time used. */
function unlimitedCpu(usageSeconds: number | null): Figures['cpu'] {
  return {
    usageSeconds,
    quota: Infinity,
    cpusetSize: null,
    periods: null,
    throttledPeriods: null,
    throttledSeconds: null
  };
}

/**
 * Non-Linux (macOS, Windows): machine memory from `os`, CPU time of the Jupyter server (the
 * sidecar's parent) from pidusage. No cache, swap, OOM, pids or pressure figures exist there.
 */
export async function readOtherHost(problems: Problems): Promise<Figures> {
  let usageSeconds: number | null = null;
  try {
    // Loaded here, not at start-up: Linux never needs it.
    const { default: pidusage } = await import('pidusage');
    usageSeconds = (await pidusage(process.ppid)).ctime / 1000;
  } catch (error) {
    problems.add(`pidusage(${process.ppid})`, `failed (${(error as Error).message})`);
  }
  const total = os.totalmem();
  const inUse = total - os.freemem();
  return {
    memory: { used: inUse, usage: inUse, cache: null, swap: null, oomKills: null, limit: Infinity, hostTotal: total },
    cpu: unlimitedCpu(usageSeconds),
    pids: { current: null, max: null },
    pressure: NO_PRESSURE
  };
}
