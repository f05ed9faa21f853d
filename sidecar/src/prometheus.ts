/**
 * Prometheus text exposition of the latest sample (`GET /metrics`). The metrics live in a
 * prom-client Registry and are filled from the cached sample at scrape time; a figure the
 * sample does not have (null) is left out rather than exposed as 0.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Pressure, Sample } from '../../src/sample.js';

type Metric = Gauge<string> | Counter<string>;
type Labels = Record<string, string>;

/** Sets a metric to `value` for `labels`, or removes that series when the value is unknown. */
function put(metric: Metric, value: number | null, labels: Labels = {}): void {
  if (value === null) {
    metric.remove(labels);
  } else if (metric instanceof Counter) {
    metric.inc(labels, value);
  } else {
    metric.set(labels, value);
  }
}

const PSI_WINDOWS = [
  ['10s', 'avg10'],
  ['60s', 'avg60'],
  ['300s', 'avg300']
] as const;

export class PrometheusExposition {
  private readonly registry = new Registry();
  private readonly metrics: Metric[] = [];

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    const gauge = new Gauge({ name, help, labelNames, registers: [this.registry] });
    this.metrics.push(gauge);
    return gauge;
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    const counter = new Counter({ name, help, labelNames, registers: [this.registry] });
    this.metrics.push(counter);
    return counter;
  }

  private readonly info = this.gauge(
    'cgroup_usage_info',
    'Always 1; the source label says where the figures come from (cgroup-v2, cgroup-v1 or host).',
    ['source']
  );
  private readonly timestamp = this.gauge(
    'cgroup_usage_sample_timestamp_seconds',
    'When the exposed sample was taken, seconds since the epoch.'
  );
  private readonly errors = this.gauge(
    'cgroup_usage_read_errors',
    'Number of things the latest sample could not read (see the errors field of /api/v1/metrics).'
  );
  private readonly workingSet = this.gauge(
    'cgroup_usage_memory_working_set_bytes',
    'Memory working set: usage minus inactive file cache, as kubelet computes it.'
  );
  private readonly memoryUsage = this.gauge(
    'cgroup_usage_memory_usage_bytes',
    'Memory charged to the cgroup, page cache included.'
  );
  private readonly memoryCache = this.gauge('cgroup_usage_memory_cache_bytes', 'File-backed page cache.');
  private readonly memoryLimit = this.gauge(
    'cgroup_usage_memory_limit_bytes',
    'Effective memory limit; the source label says whether it comes from the cgroup, MEM_LIMIT or the host.',
    ['source']
  );
  private readonly swap = this.gauge('cgroup_usage_memory_swap_bytes', 'Swap in use by the cgroup.');
  private readonly oomKills = this.counter(
    'cgroup_usage_memory_oom_kills_total',
    'Processes killed by the OOM killer in this cgroup.'
  );
  private readonly cpuUsed = this.gauge(
    'cgroup_usage_cpu_used_cores',
    'CPU in use over the last sampling interval, in cores.'
  );
  private readonly cpuLimit = this.gauge(
    'cgroup_usage_cpu_limit_cores',
    'Effective CPU limit in cores; the source label says whether it comes from the cgroup, CPU_LIMIT or the host.',
    ['source']
  );
  private readonly hostCpus = this.gauge('cgroup_usage_cpu_host_cpus', 'CPUs online on the machine.');
  private readonly cpuSeconds = this.counter(
    'cgroup_usage_cpu_usage_seconds_total',
    'Cumulative CPU time consumed by the cgroup.'
  );
  private readonly throttled = this.gauge(
    'cgroup_usage_cpu_throttled_ratio',
    'Share of CFS periods in which the cgroup was throttled, over the last sampling interval.'
  );
  private readonly pidsCurrent = this.gauge('cgroup_usage_pids_current', 'Tasks in the cgroup.');
  private readonly pidsMax = this.gauge('cgroup_usage_pids_max', 'Task limit of the cgroup.');
  private readonly pressureRatio = this.gauge(
    'cgroup_usage_pressure_ratio',
    'PSI: share of wall time in which some or all tasks stalled on the resource, averaged over the window.',
    ['resource', 'kind', 'window']
  );
  private readonly pressureSeconds = this.counter(
    'cgroup_usage_pressure_stalled_seconds_total',
    'PSI: cumulative time in which some or all tasks stalled on the resource.',
    ['resource', 'kind']
  );
  private readonly diskUsed = this.gauge('cgroup_usage_disk_used_bytes', 'Bytes used on the filesystem of --disk-path.', [
    'path'
  ]);
  private readonly diskTotal = this.gauge(
    'cgroup_usage_disk_total_bytes',
    'Size of the filesystem of --disk-path.',
    ['path']
  );

  readonly contentType = this.registry.contentType;

  /** The text exposition of `sample`. */
  async render(sample: Sample): Promise<string> {
    for (const metric of this.metrics) {
      metric.reset();
      // reset() leaves a 0 behind on unlabelled metrics; drop it so only real figures show.
      metric.remove({});
    }
    const { memory, cpu, pids, pressure, disk } = sample;
    put(this.info, 1, { source: sample.source });
    put(this.timestamp, sample.timestamp / 1000);
    put(this.errors, sample.errors.length);
    put(this.workingSet, memory.used);
    put(this.memoryUsage, memory.usage);
    put(this.memoryCache, memory.cache);
    put(this.memoryLimit, memory.limit, { source: memory.limitSource });
    put(this.swap, memory.swap);
    put(this.oomKills, memory.oomKills);
    put(this.cpuUsed, cpu.used);
    put(this.cpuLimit, cpu.limit, { source: cpu.limitSource });
    put(this.hostCpus, cpu.hostCpus);
    put(this.cpuSeconds, cpu.usageSeconds);
    put(this.throttled, cpu.throttledRatio);
    put(this.pidsCurrent, pids.current);
    put(this.pidsMax, pids.max);
    for (const resource of ['cpu', 'memory', 'io'] as const) {
      this.putPressure(resource, pressure[resource]);
    }
    if (disk !== null) {
      put(this.diskUsed, disk.used, { path: disk.path });
      put(this.diskTotal, disk.total, { path: disk.path });
    }
    return this.registry.metrics();
  }

  private putPressure(resource: string, psi: Pressure | null): void {
    for (const kind of ['some', 'full'] as const) {
      const line = psi?.[kind];
      if (!line) {
        continue;
      }
      for (const [window, field] of PSI_WINDOWS) {
        put(this.pressureRatio, line[field] / 100, { resource, kind, window });
      }
      // PSI totals are microseconds.
      put(this.pressureSeconds, line.total / 1e6, { resource, kind });
    }
  }
}
