/**
 * The Grafana dashboard of monitoring/grafana-dashboard.json, built and typed against
 * @grafana/schema: a hub overview (top sessions by working set / limit, OOM kills, throttled
 * sessions, pressure) and a per-user drill-down. Regenerate the JSON with
 * `npm run build:dashboard`; a test checks that the committed file is this module's output
 * and runs every query against a real Prometheus.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  VariableHide,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Panel,
  type RowPanel
} from '@grafana/schema';

export const DASHBOARD_JSON = join(__dirname, 'grafana-dashboard.json');

/** The Prometheus data source is chosen when importing (a `datasource` variable). */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** The drill-down's sessions: those of the chosen users. */
const USER = 'jupyterhub_user=~"$user"';

interface Query {
  expr: string;
  legend: string;
}

let nextId = 1;

function panel(
  type: string,
  title: string,
  description: string,
  unit: string,
  queries: Query[],
  gridPos: Panel['gridPos']
): Panel {
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: queries.map(({ expr, legend }, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr,
      legendFormat: legend,
      // Tables and bar gauges show the latest value; graphs a range.
      instant: type !== 'timeseries',
      range: type === 'timeseries'
    }))
  };
}

function row(title: string, y: number): RowPanel {
  return { id: nextId++, type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y, w: 24, h: 1 } };
}

const SESSION_LEGEND = '{{jupyterhub_user}} {{jupyterhub_server_name}}';

export function buildDashboard(): Dashboard {
  nextId = 1;
  const panels: Array<Panel | RowPanel> = [
    row('Hub overview', 0),
    panel(
      'stat',
      'Sessions',
      'Sessions whose sidecar Prometheus scrapes.',
      'none',
      [{ expr: 'count(cgroup_usage_info)', legend: 'sessions' }],
      { x: 0, y: 1, w: 4, h: 8 }
    ),
    panel(
      'bargauge',
      'Top sessions by working set / limit',
      'Working set over the effective memory limit: near 100 % the OOM killer is next.',
      'percentunit',
      [
        {
          expr: 'topk(20, cgroup_usage_memory_working_set_bytes / cgroup_usage_spec_memory_limit_bytes)',
          legend: SESSION_LEGEND
        }
      ],
      { x: 4, y: 1, w: 10, h: 8 }
    ),
    panel(
      'timeseries',
      'OOM kills',
      'Processes killed by the OOM killer, per session.',
      'none',
      [
        {
          expr: 'sum by (jupyterhub_user, jupyterhub_server_name) (increase(cgroup_usage_oom_events_total[$__rate_interval]))',
          legend: SESSION_LEGEND
        }
      ],
      { x: 14, y: 1, w: 10, h: 8 }
    ),
    panel(
      'bargauge',
      'Most CPU-throttled sessions',
      'Share of CFS periods in which the session ran out of its CPU quota (0 without a quota).',
      'percentunit',
      [
        {
          expr: 'topk(20, increase(cgroup_usage_cpu_cfs_throttled_periods_total[$__rate_interval]) / clamp_min(increase(cgroup_usage_cpu_cfs_periods_total[$__rate_interval]), 1))',
          legend: SESSION_LEGEND
        }
      ],
      { x: 0, y: 9, w: 12, h: 8 }
    ),
    panel(
      'timeseries',
      'CPU pressure (some tasks waiting)',
      'PSI: share of time in which some tasks waited for CPU, per session (scope label: cgroup, or the machine where the cgroup has no PSI).',
      'percentunit',
      [
        {
          expr: 'topk(10, rate(cgroup_usage_pressure_cpu_waiting_seconds_total[$__rate_interval]))',
          legend: SESSION_LEGEND
        }
      ],
      { x: 12, y: 9, w: 12, h: 8 }
    ),
    row('Sessions of $user', 17),
    panel(
      'timeseries',
      'Memory',
      'Working set, page cache and the effective limit.',
      'bytes',
      [
        { expr: `cgroup_usage_memory_working_set_bytes{${USER}}`, legend: 'working set {{jupyterhub_server_name}}' },
        { expr: `cgroup_usage_memory_cache_bytes{${USER}}`, legend: 'cache {{jupyterhub_server_name}}' },
        { expr: `cgroup_usage_spec_memory_limit_bytes{${USER}}`, legend: 'limit {{jupyterhub_server_name}}' }
      ],
      { x: 0, y: 18, w: 12, h: 8 }
    ),
    panel(
      'timeseries',
      'CPU',
      'Cores in use and the CPU limit.',
      'none',
      [
        {
          expr: `rate(cgroup_usage_cpu_usage_seconds_total{${USER}}[$__rate_interval])`,
          legend: 'in use {{jupyterhub_server_name}}'
        },
        { expr: `cgroup_usage_spec_cpu_limit_cores{${USER}}`, legend: 'limit {{jupyterhub_server_name}}' }
      ],
      { x: 12, y: 18, w: 12, h: 8 }
    ),
    panel(
      'timeseries',
      'OOM kills and throttled periods',
      'Per minute.',
      'none',
      [
        {
          expr: `increase(cgroup_usage_oom_events_total{${USER}}[$__rate_interval])`,
          legend: 'OOM kills {{jupyterhub_server_name}}'
        },
        {
          expr: `increase(cgroup_usage_cpu_cfs_throttled_periods_total{${USER}}[$__rate_interval])`,
          legend: 'throttled periods {{jupyterhub_server_name}}'
        }
      ],
      { x: 0, y: 26, w: 12, h: 8 }
    ),
    panel(
      'timeseries',
      'Pressure (some tasks waiting)',
      'PSI, share of time, by resource.',
      'percentunit',
      ['cpu', 'memory', 'io'].map(resource => ({
        expr: `rate(cgroup_usage_pressure_${resource}_waiting_seconds_total{${USER}}[$__rate_interval])`,
        legend: `${resource} {{jupyterhub_server_name}}`
      })),
      { x: 12, y: 26, w: 12, h: 8 }
    )
  ];
  return {
    title: 'JupyterHub sessions (cgroup-usage)',
    uid: 'cgroup-usage-hub',
    description:
      "Every session's memory, CPU, OOM kills, throttling and pressure, from jupyterlab-cgroup-usage's /metrics.",
    tags: ['jupyterhub', 'cgroup-usage'],
    editable: true,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          hide: VariableHide.dontHide
        },
        {
          name: 'user',
          label: 'User',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: 'label_values(cgroup_usage_info, jupyterhub_user)', refId: 'users' },
          refresh: VariableRefresh.onTimeRangeChanged,
          sort: VariableSort.alphabeticalAsc,
          multi: true,
          includeAll: true,
          allValue: '.*'
        }
      ]
    },
    panels
  };
}

/** Every query of the dashboard: its panel's title and the PromQL. */
export function dashboardQueries(dashboard: Dashboard): { panel: string; expr: string }[] {
  return (dashboard.panels ?? []).flatMap(item =>
    'targets' in item && item.targets
      ? item.targets.map(target => ({ panel: item.title ?? '', expr: String(target.expr) }))
      : []
  );
}

export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(DASHBOARD_JSON, dashboardJson());
}
