/**
 * Samples for the tests, shaped like the sidecar's (docs/sidecar.md), with overridable parts.
 */
import type { CpuSample, MemorySample, PressureSample, Sample } from '../../src/sample';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export interface ISampleParts {
  timestamp?: number;
  memory?: Partial<MemorySample>;
  cpu?: Partial<CpuSample>;
  pressure?: Partial<PressureSample>;
  disk?: Sample['disk'];
  errors?: string[];
  source?: Sample['source'];
}

/** A cgroup-v2 container with 2 CPUs of 16 and 4 GiB, using 0.73 cores and 1.2 GiB. */
export function makeSample(parts: ISampleParts = {}): Sample {
  return {
    version: 1,
    timestamp: parts.timestamp ?? 1764160000000,
    source: parts.source ?? 'cgroup-v2',
    memory: {
      used: 1.2 * GiB,
      usage: 1.5 * GiB,
      cache: 0.3 * GiB,
      limit: 4 * GiB,
      limitSource: 'cgroup',
      swap: 0,
      oomKills: 0,
      ...parts.memory
    },
    cpu: {
      used: 0.73,
      limit: 2,
      limitSource: 'cgroup',
      hostCpus: 16,
      usageSeconds: 123.45,
      throttledRatio: 0.25,
      periods: 4000,
      throttledPeriods: 1000,
      throttledSeconds: 25,
      ...parts.cpu
    },
    pids: { current: 42, max: 4096 },
    pressure: {
      cpu: { some: { avg10: 1.5, avg60: 1, avg300: 0.5, total: 1000 }, full: null },
      memory: {
        some: { avg10: 0.2, avg60: 0.1, avg300: 0, total: 10 },
        full: { avg10: 0.1, avg60: 0, avg300: 0, total: 5 }
      },
      io: null,
      scope: 'cgroup',
      ...parts.pressure
    },
    disk: parts.disk === undefined ? { path: '/home/jovyan', used: 12 * GiB, total: 50 * GiB } : parts.disk,
    errors: parts.errors ?? []
  };
}
