/**
 * The latest sample in jupyter-resource-usage's `GET /api/metrics/v1` shape, so that its
 * frontends (the status bar item, jupyterlab-system-monitor's top bar) can read the
 * sidecar's figures unchanged.
 *
 * The mapping: `rss` is the cgroup's working set (the figure the OOM killer acts on, where
 * JRU sums the RSS of its process tree), left out like every other unknown figure rather
 * than reported as 0 bytes; `pss` is left out because the cgroup does not
 * account proportional set size, and JRU's frontend falls back to `rss`. `cpu_percent`
 * is CPU in use in percent of one core, like psutil's sum over processes; `cpu_count` is
 * the host's online CPUs, like `psutil.cpu_count()`. Limits and warnings use the sample's
 * effective limits and JRU's default warning thresholds.
 */
import type { Sample } from '../../src/sample.js';

/** JRU's default `mem_warning_threshold`, `cpu_warning_threshold`, `disk_warning_threshold`. */
export const WARNING_THRESHOLD = 0.1;

export interface ResourceUsageJson {
  rss?: number;
  cpu_percent?: number;
  cpu_count: number;
  disk_used?: number;
  disk_total?: number;
  limits: {
    memory?: { rss: number; warn: boolean };
    cpu?: { cpu: number; warn: boolean };
    disk?: { disk: number; warn: boolean };
  };
}

/** True when less than WARNING_THRESHOLD of `limit` is left, as JRU decides its warnings. */
function nearLimit(used: number, limit: number): boolean {
  return limit - used < limit * WARNING_THRESHOLD;
}

export function toResourceUsageJson(sample: Sample): ResourceUsageJson {
  const { memory, cpu, disk } = sample;
  const metrics: ResourceUsageJson = { cpu_count: cpu.hostCpus, limits: {} };
  if (memory.used !== null) {
    metrics.rss = memory.used;
  }
  if (memory.limit !== null) {
    metrics.limits.memory = { rss: memory.limit, warn: memory.used !== null && nearLimit(memory.used, memory.limit) };
  }
  if (cpu.used !== null) {
    metrics.cpu_percent = cpu.used * 100;
  }
  metrics.limits.cpu = { cpu: cpu.limit, warn: nearLimit(cpu.used ?? 0, cpu.limit) };
  if (disk !== null) {
    metrics.disk_used = disk.used;
    metrics.disk_total = disk.total;
    metrics.limits.disk = { disk: disk.total, warn: nearLimit(disk.used, disk.total) };
  }
  return metrics;
}
