/**
 * Resolving the memory and CPU limits: the cgroup's when it sets one, else JupyterHub's
 * MEM_LIMIT (bytes) / CPU_LIMIT (cores), else the machine. A malformed MEM_LIMIT/CPU_LIMIT is
 * ignored and reported, but only when it is consulted (the cgroup sets no limit).
 */
import type { LimitSource } from '../../src/sample.js';
import type { Problems } from './files.js';
import { MAX_CPUS } from './parse.js';

/** An environment limit: its value (null when unset or 0, as JupyterHub and JRU mean "none"), or why it is ignored. */
export interface EnvLimit {
  value: number | null;
  problem: string | null;
}

export interface EnvLimits {
  memory: EnvLimit;
  cpu: EnvLimit;
}

function parseEnvLimit(name: string, raw: string | undefined, pattern: RegExp, max: number, unit: string): EnvLimit {
  const text = raw?.trim() ?? '';
  if (text === '') {
    return { value: null, problem: null };
  }
  const value = Number(text);
  if (!pattern.test(text) || !(value <= max)) {
    return { value: null, problem: `${name}=${JSON.stringify(raw)}: not ${unit}; ignored` };
  }
  return { value: value > 0 ? value : null, problem: null };
}

export function parseEnvLimits(env: Record<string, string | undefined>): EnvLimits {
  return {
    memory: parseEnvLimit('MEM_LIMIT', env.MEM_LIMIT, /^\d+$/, Number.MAX_SAFE_INTEGER, 'a number of bytes up to 2^53'),
    cpu: parseEnvLimit(
      'CPU_LIMIT',
      env.CPU_LIMIT,
      /^\d+(\.\d+)?$|^\.\d+$/,
      MAX_CPUS,
      `a number of cores up to ${MAX_CPUS}`
    )
  };
}

export interface ResolvedLimit {
  limit: number | null;
  limitSource: LimitSource;
}

function fromEnvOrHost(env: EnvLimit, host: () => number | null, problems: Problems): ResolvedLimit {
  if (env.problem !== null) {
    problems.note(env.problem);
  }
  return env.value !== null ? { limit: env.value, limitSource: 'env' } : { limit: host(), limitSource: 'host' };
}

/** `cgroupLimit` is Infinity when the cgroup sets none; `memTotal` is read only if needed. */
export function resolveMemoryLimit(
  cgroupLimit: number,
  env: EnvLimits,
  memTotal: () => number | null,
  problems: Problems
): ResolvedLimit {
  if (Number.isFinite(cgroupLimit)) {
    return { limit: cgroupLimit, limitSource: 'cgroup' };
  }
  return fromEnvOrHost(env.memory, memTotal, problems);
}

/**
 * The effective CPU count: min(quota, cpuset size, online CPUs). The cgroup counts as setting
 * a limit when it has a quota or a cpuset smaller than the machine.
 */
export function resolveCpuLimit(
  quota: number,
  cpusetSize: number | null,
  hostCpus: number,
  env: EnvLimits,
  problems: Problems
): ResolvedLimit & { limit: number } {
  // An empty effective cpuset only happens in an empty cgroup; it is no limit.
  const cpuset = cpusetSize !== null && cpusetSize > 0 ? cpusetSize : Infinity;
  if (Number.isFinite(quota) || cpuset < hostCpus) {
    return { limit: Math.min(quota, cpuset, hostCpus), limitSource: 'cgroup' };
  }
  const resolved = fromEnvOrHost(env.cpu, () => hostCpus, problems);
  return { limit: resolved.limit ?? hostCpus, limitSource: resolved.limitSource };
}
