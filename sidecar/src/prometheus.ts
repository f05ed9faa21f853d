/**
 * Prometheus text exposition of the latest sample (`GET /metrics`). The metrics live in a
 * prom-client Registry and are filled from the cached sample at scrape time; a figure the
 * sample does not have (null) is left out rather than exposed as 0.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Sample } from '../../src/sample.js';

type Labels = Record<string, string>;
/** The series of one metric family in a sample: labels and value (null: not known). */
type Series = [Labels, number | null][];

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames?: string[];
  series(sample: Sample): Series;
}

const unlabelled = (value: number | null): Series => [[{}, value]];

const RESOURCES = ['cpu', 'memory', 'io'] as const;
const PSI_KINDS = ['some', 'full'] as const;
const PSI_WINDOWS = [
  ['10s', 'avg10'],
  ['60s', 'avg60'],
  ['300s', 'avg300']
] as const;

/**
 * One series per PSI line present in the sample (`full` is absent on older kernels' cpu.pressure),
 * labelled with whose stalls they count (scope: cgroup or machine).
 */
function psiSeries(sample: Sample, value: (line: { avg10: number; avg60: number; avg300: number; total: number }, labels: Labels) => Series): Series {
  return RESOURCES.flatMap((resource) =>
    PSI_KINDS.flatMap((kind) => {
      const line = sample.pressure[resource]?.[kind];
      return line ? value(line, { resource, kind, scope: sample.pressure.scope ?? '' }) : [];
    })
  );
}

const FAMILIES: Family[] = [
  {
    name: 'cgroup_usage_info',
    help: 'Always 1; the source label says where the figures come from (cgroup-v2, cgroup-v1 or host).',
    type: 'gauge',
    labelNames: ['source'],
    series: (s) => [[{ source: s.source }, 1]]
  },
  {
    name: 'cgroup_usage_sample_timestamp_seconds',
    help: 'When the exposed sample was taken, seconds since the epoch.',
    type: 'gauge',
    series: (s) => unlabelled(s.timestamp / 1000)
  },
  {
    name: 'cgroup_usage_read_errors',
    help: 'Number of things the latest sample could not read (see the errors field of /api/v1/metrics).',
    type: 'gauge',
    series: (s) => unlabelled(s.errors.length)
  },
  {
    name: 'cgroup_usage_memory_working_set_bytes',
    help: 'Memory working set: usage minus inactive file cache, as kubelet computes it.',
    type: 'gauge',
    series: (s) => unlabelled(s.memory.used)
  },
  {
    name: 'cgroup_usage_memory_usage_bytes',
    help: 'Memory charged to the cgroup, page cache included.',
    type: 'gauge',
    series: (s) => unlabelled(s.memory.usage)
  },
  {
    name: 'cgroup_usage_memory_cache_bytes',
    help: 'File-backed page cache.',
    type: 'gauge',
    series: (s) => unlabelled(s.memory.cache)
  },
  {
    name: 'cgroup_usage_memory_limit_bytes',
    help: 'Effective memory limit; the source label says whether it comes from the cgroup, MEM_LIMIT or the host.',
    type: 'gauge',
    labelNames: ['source'],
    series: (s) => [[{ source: s.memory.limitSource }, s.memory.limit]]
  },
  {
    name: 'cgroup_usage_memory_swap_bytes',
    help: 'Swap in use by the cgroup.',
    type: 'gauge',
    series: (s) => unlabelled(s.memory.swap)
  },
  {
    name: 'cgroup_usage_memory_oom_kills_total',
    help: 'Processes killed by the OOM killer in this cgroup.',
    type: 'counter',
    series: (s) => unlabelled(s.memory.oomKills)
  },
  {
    name: 'cgroup_usage_cpu_used_cores',
    help: 'CPU in use over the last sampling interval, in cores.',
    type: 'gauge',
    series: (s) => unlabelled(s.cpu.used)
  },
  {
    name: 'cgroup_usage_cpu_limit_cores',
    help: 'Effective CPU limit in cores; the source label says whether it comes from the cgroup, CPU_LIMIT or the host.',
    type: 'gauge',
    labelNames: ['source'],
    series: (s) => [[{ source: s.cpu.limitSource }, s.cpu.limit]]
  },
  {
    name: 'cgroup_usage_cpu_host_cpus',
    help: 'CPUs online on the machine.',
    type: 'gauge',
    series: (s) => unlabelled(s.cpu.hostCpus)
  },
  {
    name: 'cgroup_usage_cpu_usage_seconds_total',
    help: 'Cumulative CPU time consumed by the cgroup.',
    type: 'counter',
    series: (s) => unlabelled(s.cpu.usageSeconds)
  },
  {
    name: 'cgroup_usage_cpu_throttled_ratio',
    help: 'Share of CFS periods in which the cgroup was throttled, over the last sampling interval.',
    type: 'gauge',
    series: (s) => unlabelled(s.cpu.throttledRatio)
  },
  {
    name: 'cgroup_usage_pids_current',
    help: 'Tasks in the cgroup.',
    type: 'gauge',
    series: (s) => unlabelled(s.pids.current)
  },
  {
    name: 'cgroup_usage_pids_max',
    help: 'Task limit of the cgroup.',
    type: 'gauge',
    series: (s) => unlabelled(s.pids.max)
  },
  {
    name: 'cgroup_usage_pressure_ratio',
    help: 'PSI: share of wall time in which some or all tasks stalled on the resource, averaged over the window.',
    type: 'gauge',
    labelNames: ['resource', 'kind', 'scope', 'window'],
    series: (s) =>
      psiSeries(s, (line, labels) => PSI_WINDOWS.map(([window, field]) => [{ ...labels, window }, line[field] / 100]))
  },
  {
    name: 'cgroup_usage_pressure_stalled_seconds_total',
    help: 'PSI: cumulative time in which some or all tasks stalled on the resource.',
    type: 'counter',
    labelNames: ['resource', 'kind', 'scope'],
    // PSI totals are microseconds.
    series: (s) => psiSeries(s, (line, labels) => [[labels, line.total / 1e6]])
  },
  {
    name: 'cgroup_usage_disk_used_bytes',
    help: 'Bytes used on the filesystem of --disk-path.',
    type: 'gauge',
    labelNames: ['path'],
    series: (s) => (s.disk ? [[{ path: s.disk.path }, s.disk.used]] : [])
  },
  {
    name: 'cgroup_usage_disk_total_bytes',
    help: 'Size of the filesystem of --disk-path.',
    type: 'gauge',
    labelNames: ['path'],
    series: (s) => (s.disk ? [[{ path: s.disk.path }, s.disk.total]] : [])
  }
];

export class PrometheusExposition {
  private readonly registry = new Registry();
  private readonly metrics = FAMILIES.map((family) => {
    const options = { name: family.name, help: family.help, labelNames: family.labelNames ?? [], registers: [this.registry] };
    return { family, metric: family.type === 'counter' ? new Counter(options) : new Gauge(options) };
  });

  readonly contentType = this.registry.contentType;

  /** The text exposition of `sample`. */
  async render(sample: Sample): Promise<string> {
    for (const { family, metric } of this.metrics) {
      metric.reset();
      // reset() leaves a 0 behind on unlabelled metrics; drop it so only real figures show.
      metric.remove({});
      for (const [labels, value] of family.series(sample)) {
        if (value === null) {
          continue;
        }
        if (metric instanceof Counter) {
          metric.inc(labels, value);
        } else {
          metric.set(labels, value);
        }
      }
    }
    return this.registry.metrics();
  }
}
