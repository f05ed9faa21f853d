/**
 * createReader: discovery once, then each read() measures the handful of files of the chosen
 * source (cgroup v2, cgroup v1, host) and resolves limits. read() never throws.
 */
import * as os from 'node:os';

import { readCgroupV1 } from './cgroup-v1.js';
import { readCgroupV2 } from './cgroup-v2.js';
import { DiskReader } from './disk.js';
import { discover, type Discovery } from './discovery.js';
import type { Figures } from './figures.js';
import { OpenFiles, Problems } from './files.js';
import { readLinuxHost, readMemTotal, readOnlineCpus, readOtherHost } from './host.js';
import { parseEnvLimits, resolveCpuLimit, resolveMemoryLimit, type EnvLimits } from './limits.js';
import { NO_PRESSURE } from './pressure.js';
import type { Reader, ReaderOptions, Reading } from './reading.js';

/** An error's message, for a one-line problem. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function discoverSafely(options: ReaderOptions): Discovery {
  try {
    return discover(options.procRoot, options.sysRoot);
  } catch (error) {
    return { kind: 'host', problems: [`cgroup discovery failed (${errorMessage(error)}); using host figures`] };
  }
}

function measure(discovery: Discovery, options: ReaderOptions, problems: Problems): Figures | Promise<Figures> {
  switch (discovery.kind) {
    case 'cgroup-v2':
      return readCgroupV2(discovery.cgroup, discovery.pressureScope, problems);
    case 'cgroup-v1':
      return readCgroupV1(discovery.controllers, discovery.unified, discovery.pressureScope, problems);
    case 'host':
      return process.platform === 'linux' ? readLinuxHost(options.procRoot, problems) : readOtherHost(problems);
  }
}

async function readOnce(
  discovery: Discovery,
  env: EnvLimits,
  disk: DiskReader,
  files: OpenFiles,
  options: ReaderOptions
): Promise<Reading> {
  const problems = new Problems(files);
  discovery.problems.forEach(problem => problems.note(problem));
  // Started first: statfs runs on the thread pool while the cgroup files are read here.
  const diskSample = disk.read(problems);
  const figures = await measure(discovery, options, problems);
  const hostCpus = process.platform === 'linux' ? readOnlineCpus(options.sysRoot, problems) : os.cpus().length;
  const memory = figures.memory;
  const memoryLimit = resolveMemoryLimit(
    memory.limit,
    env,
    // The host measurement has read MemTotal already (null if it could not): no second read or error.
    () => (memory.hostTotal !== undefined ? memory.hostTotal : readMemTotal(options.procRoot, problems)),
    problems
  );
  const cpuLimit = resolveCpuLimit(figures.cpu.quota, figures.cpu.cpusetSize, hostCpus, env, problems);
  return {
    source: discovery.kind,
    memory: {
      used: memory.used,
      usage: memory.usage,
      cache: memory.cache,
      limit: memoryLimit.limit,
      limitSource: memoryLimit.limitSource,
      swap: memory.swap,
      oomKills: memory.oomKills,
      ...(memory.breakdown && { breakdown: memory.breakdown })
    },
    cpu: {
      limit: cpuLimit.limit,
      limitSource: cpuLimit.limitSource,
      hostCpus,
      usageSeconds: figures.cpu.usageSeconds,
      periods: figures.cpu.periods,
      throttledPeriods: figures.cpu.throttledPeriods,
      throttledSeconds: figures.cpu.throttledSeconds
    },
    pids: figures.pids,
    pressure: figures.pressure,
    disk: await diskSample,
    errors: problems.messages
  };
}

/** A reading with nothing in it, for the unexpected: a bug must not stop the sampler. */
function emptyReading(source: Reading['source'], error: string): Reading {
  const cpus = os.cpus().length;
  return {
    source,
    memory: { used: null, usage: null, cache: null, limit: null, limitSource: 'host', swap: null, oomKills: null },
    cpu: {
      limit: cpus,
      limitSource: 'host',
      hostCpus: cpus,
      usageSeconds: null,
      periods: null,
      throttledPeriods: null,
      throttledSeconds: null
    },
    pids: { current: null, max: null },
    pressure: NO_PRESSURE,
    disk: null,
    errors: [error]
  };
}

/** A Reader over the files of /proc and cgroupfs; `close()` releases the descriptors it keeps. */
export interface FileReader extends Reader {
  close(): void;
}

export function createReader(options: ReaderOptions): FileReader {
  const discovery = discoverSafely(options);
  const env = parseEnvLimits(options.env);
  const disk = new DiskReader(options.diskPath);
  // The descriptors kept open from one reading to the next belong to this reader.
  const files = new OpenFiles();
  return {
    async read() {
      try {
        return await readOnce(discovery, env, disk, files, options);
      } catch (error) {
        return emptyReading(discovery.kind, `reading failed unexpectedly: ${errorMessage(error)}`);
      }
    },
    close: () => files.close()
  };
}
