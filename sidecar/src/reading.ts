/**
 * The seam between the readers (cgroup v1, cgroup v2, host) and the sampler.
 * A reader returns a Reading: what the files say at one moment, counters still cumulative.
 * The sampler turns two consecutive Readings into a Sample (CPU in use, throttled ratio).
 */
import type { CpuSample, Sample } from '../../src/sample.js';

export interface ReaderOptions {
  /** Where /proc is read from (fixture trees in tests). */
  procRoot: string;
  /** Where /sys is read from; cgroup mount points under /sys are re-rooted here. */
  sysRoot: string;
  /** Filesystem whose usage is reported. */
  diskPath: string;
  /** MEM_LIMIT / CPU_LIMIT, used only where the cgroup sets no limit. */
  env: Record<string, string | undefined>;
}

export type CpuReading = Omit<CpuSample, 'used' | 'throttledRatio'>;

export interface Reading extends Omit<Sample, 'version' | 'timestamp' | 'cpu'> {
  cpu: CpuReading;
}

export interface Reader {
  /** One pass over the files. Never throws: what cannot be read becomes null plus an entry in `errors`. */
  read(): Promise<Reading>;
}
