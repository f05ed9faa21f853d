/**
 * Prometheus text exposition of the latest sample (`GET /metrics`). The metrics live in a
 * prom-client Registry and are filled from the cached sample at scrape time; a figure the
 * sample does not have (null) is left out rather than exposed as 0. Names follow cAdvisor's
 * (`container_…` → `cgroup_usage_…`) where it has a counterpart, so dashboards carry over;
 * counters are the kernel's cumulative counters, rates are left to PromQL.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { version } from '../../package.json';
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
/** PSI's `some` line counts time in which some tasks waited, `full` time in which all stalled (cAdvisor's words). */
const PSI_TOTAL_NAMES = { some: 'waiting', full: 'stalled' } as const;
const PSI_WINDOWS = [
  ['10s', 'avg10'],
  ['60s', 'avg60'],
  ['300s', 'avg300']
] as const;

/**
 * One series per PSI line present in the sample (`full` is absent on older kernels' cpu.pressure),
 * labelled with whose stalls they count (scope: cgroup or machine).
 */
function psiSeries(
  sample: Sample,
  value: (line: { avg10: number; avg60: number; avg300: number; total: number }, labels: Labels) => Series
): Series {
  return RESOURCES.flatMap(resource =>
    PSI_KINDS.flatMap(kind => {
      const line = sample.pressure[resource]?.[kind];
      return line ? value(line, { resource, kind, scope: sample.pressure.scope ?? '' }) : [];
    })
  );
}

/** The per-resource PSI totals as cAdvisor names them: `..._pressure_cpu_waiting_seconds_total` and so on. */
const PSI_TOTALS: Family[] = RESOURCES.flatMap(resource =>
  PSI_KINDS.map((kind): Family => ({
    name: `cgroup_usage_pressure_${resource}_${PSI_TOTAL_NAMES[kind]}_seconds_total`,
    help: `PSI: cumulative time in which ${kind === 'some' ? 'some tasks waited' : 'all non-idle tasks stalled'} on ${resource} (${resource}.pressure ${kind} total).`,
    type: 'counter',
    labelNames: ['scope'],
    // PSI totals are microseconds.
    series: s => {
      const line = s.pressure[resource]?.[kind];
      return line ? [[{ scope: s.pressure.scope ?? '' }, line.total / 1e6]] : [];
    }
  }))
);

const FAMILIES: Family[] = [
  {
    name: 'cgroup_usage_info',
    help: 'Always 1; the labels say which sidecar version, where the figures come from (cgroup-v2, cgroup-v1 or host) and where each limit comes from (cgroup, env or host).',
    type: 'gauge',
    labelNames: ['version', 'source', 'memory_limit_source', 'cpu_limit_source'],
    series: s => [
      [{ version, source: s.source, memory_limit_source: s.memory.limitSource, cpu_limit_source: s.cpu.limitSource }, 1]
    ]
  },
  {
    name: 'cgroup_usage_sample_timestamp_seconds',
    help: 'When the exposed sample was taken, seconds since the epoch.',
    type: 'gauge',
    series: s => unlabelled(s.timestamp / 1000)
  },
  {
    name: 'cgroup_usage_read_errors',
    help: 'Number of things the latest sample could not read (see the errors field of /api/v1/metrics).',
    type: 'gauge',
    series: s => unlabelled(s.errors.length)
  },
  {
    name: 'cgroup_usage_memory_working_set_bytes',
    help: 'Memory working set: usage minus inactive file cache, as kubelet computes it.',
    type: 'gauge',
    series: s => unlabelled(s.memory.used)
  },
  {
    name: 'cgroup_usage_memory_usage_bytes',
    help: 'Memory charged to the cgroup, page cache included.',
    type: 'gauge',
    series: s => unlabelled(s.memory.usage)
  },
  {
    name: 'cgroup_usage_memory_cache_bytes',
    help: 'File-backed page cache.',
    type: 'gauge',
    series: s => unlabelled(s.memory.cache)
  },
  {
    name: 'cgroup_usage_memory_swap_bytes',
    help: 'Swap in use by the cgroup.',
    type: 'gauge',
    series: s => unlabelled(s.memory.swap)
  },
  {
    name: 'cgroup_usage_spec_memory_limit_bytes',
    help: 'Effective memory limit (cgroup_usage_info says whether from the cgroup, MEM_LIMIT or the host).',
    type: 'gauge',
    series: s => unlabelled(s.memory.limit)
  },
  {
    name: 'cgroup_usage_oom_events_total',
    help: 'Processes killed by the OOM killer in this cgroup (memory.events oom_kill, memory.oom_control oom_kill on v1).',
    type: 'counter',
    series: s => unlabelled(s.memory.oomKills)
  },
  {
    name: 'cgroup_usage_cpu_usage_seconds_total',
    help: 'Cumulative CPU time consumed by the cgroup.',
    type: 'counter',
    series: s => unlabelled(s.cpu.usageSeconds)
  },
  {
    name: 'cgroup_usage_spec_cpu_limit_cores',
    help: "Effective CPU limit in cores: cAdvisor's container_spec_cpu_quota / container_spec_cpu_period, or the cpuset, CPU_LIMIT or the host's CPUs (cgroup_usage_info says which).",
    type: 'gauge',
    series: s => unlabelled(s.cpu.limit)
  },
  {
    name: 'cgroup_usage_cpu_host_cpus',
    help: 'CPUs online on the machine.',
    type: 'gauge',
    series: s => unlabelled(s.cpu.hostCpus)
  },
  {
    name: 'cgroup_usage_cpu_cfs_periods_total',
    help: 'CFS periods with a quota in force (cpu.stat nr_periods of the cgroup that holds the quota).',
    type: 'counter',
    series: s => unlabelled(s.cpu.periods)
  },
  {
    name: 'cgroup_usage_cpu_cfs_throttled_periods_total',
    help: 'CFS periods in which the cgroup ran out of quota (cpu.stat nr_throttled).',
    type: 'counter',
    series: s => unlabelled(s.cpu.throttledPeriods)
  },
  {
    name: 'cgroup_usage_cpu_cfs_throttled_seconds_total',
    help: 'Time the cgroup was throttled (cpu.stat throttled_usec, throttled_time on v1).',
    type: 'counter',
    series: s => unlabelled(s.cpu.throttledSeconds)
  },
  {
    name: 'cgroup_usage_pids_current',
    help: 'Tasks in the cgroup.',
    type: 'gauge',
    series: s => unlabelled(s.pids.current)
  },
  {
    name: 'cgroup_usage_pids_max',
    help: 'Task limit of the cgroup.',
    type: 'gauge',
    series: s => unlabelled(s.pids.max)
  },
  {
    name: 'cgroup_usage_pressure_ratio',
    help: 'PSI: share of wall time in which some or all tasks stalled on the resource, averaged over the window.',
    type: 'gauge',
    labelNames: ['resource', 'kind', 'scope', 'window'],
    series: s =>
      psiSeries(s, (line, labels) => PSI_WINDOWS.map(([window, field]) => [{ ...labels, window }, line[field] / 100]))
  },
  ...PSI_TOTALS,
  {
    name: 'cgroup_usage_disk_used_bytes',
    help: 'Bytes used on the filesystem of --disk-path.',
    type: 'gauge',
    labelNames: ['path'],
    series: s => (s.disk ? [[{ path: s.disk.path }, s.disk.used]] : [])
  },
  {
    name: 'cgroup_usage_disk_total_bytes',
    help: 'Size of the filesystem of --disk-path.',
    type: 'gauge',
    labelNames: ['path'],
    series: s => (s.disk ? [[{ path: s.disk.path }, s.disk.total]] : [])
  }
];

/** Environment variables whose value labels every series, when set and not empty. */
const HUB_LABELS = [
  ['jupyterhub_user', 'JUPYTERHUB_USER'],
  ['jupyterhub_server_name', 'JUPYTERHUB_SERVER_NAME']
] as const;

/**
 * The labels a hub aggregates on, from the spawner's environment. An unset or empty variable
 * gives no label: Prometheus treats an empty label as absent anyway (the default server's name is '').
 */
export function hubLabels(env: NodeJS.ProcessEnv): Labels {
  return Object.fromEntries(HUB_LABELS.flatMap(([label, variable]) => (env[variable] ? [[label, env[variable]]] : [])));
}

export class PrometheusExposition {
  private readonly registry = new Registry();
  private readonly metrics = FAMILIES.map(family => {
    const options = {
      name: family.name,
      help: family.help,
      labelNames: family.labelNames ?? [],
      registers: [this.registry]
    };
    return { family, metric: family.type === 'counter' ? new Counter(options) : new Gauge(options) };
  });

  readonly contentType = this.registry.contentType;

  /** `labels` go on every series (see hubLabels). */
  constructor(labels: Labels = {}) {
    this.registry.setDefaultLabels(labels);
  }

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
