/**
 * The setups compared: which server extensions run, how a tab is fed (which endpoint it polls
 * and how often, or the one stream all tabs share), and which endpoints must answer (or 404)
 * to prove the setup is what it says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SetupName = 'A1' | 'A2' | 'B' | 'C' | 'D';
export const SETUP_NAMES: SetupName[] = ['A1', 'A2', 'B', 'C', 'D'];

/** jupyter-resource-usage's metrics route, polled by its frontend every 5 s. */
export const JRU_METRICS = '/api/metrics/v1';
const JRU_POLL_MS = 5000;
/** Our sidecar behind jupyter-server-proxy (server name "cgroup-usage"). */
export const SIDECAR_METRICS = '/cgroup-usage/api/v1/metrics';
const SIDECAR_STREAM = '/cgroup-usage/api/v1/stream';
/**
 * jupyterlab-resource-monitor-extension's route: its frontend polls it every 5 s (the rate its
 * sampler thread ticks at, SAMPLE_INTERVAL in its metrics.py; its settings have no rate).
 */
export const MONITOR_METRICS = '/jupyterlab-resource-monitor-extension/metrics';
const MONITOR_POLL_MS = 5000;
/** Every metrics route some setup serves: each must answer or 404 as the setup says. */
export const METRIC_ROUTES = [JRU_METRICS, SIDECAR_METRICS, MONITOR_METRICS];

/** Server extensions whose presence distinguishes the setups; every run sets all of them. */
const METRIC_EXTENSIONS = ['jupyter_resource_usage', 'jupyter_server_proxy', 'jupyterlab_resource_monitor_extension'];

export interface Setup {
  name: SetupName;
  label: string;
  /** Extensions enabled among METRIC_EXTENSIONS (the rest are disabled). */
  enabled: string[];
  /** Extra server arguments. */
  args: string[];
  /** What a simulated tab polls, or null when nothing does. */
  pollPath: string | null;
  /** The WebSocket all tabs share instead (the leading tab's; null when the tabs poll). */
  streamPath: string | null;
  /** Between two updates of a tab. */
  pollMs: number;
  /** Routes that must answer 200 in this setup; every other metrics route must 404. */
  answers: string[];
}

/**
 * The plugin's default refresh rate, from its settings schema; 5000 ms (what JRU uses)
 * while the schema has no such property.
 */
function pluginRefreshMs(repoRoot: string): number {
  try {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'plugin.json'), 'utf8'));
    const value = schema?.properties?.refreshRate?.default;
    return typeof value === 'number' && value > 0 ? value : 5000;
  } catch {
    return 5000;
  }
}

export function setups(repoRoot: string): Record<SetupName, Setup> {
  return {
    A1: {
      name: 'A1',
      label: 'jupyter-resource-usage, defaults',
      enabled: ['jupyter_resource_usage'],
      args: [],
      pollPath: JRU_METRICS,
      streamPath: null,
      pollMs: JRU_POLL_MS,
      answers: [JRU_METRICS]
    },
    A2: {
      name: 'A2',
      label: 'jupyter-resource-usage, track_cpu_percent=True',
      enabled: ['jupyter_resource_usage'],
      args: ['--ResourceUseDisplay.track_cpu_percent=True'],
      pollPath: JRU_METRICS,
      streamPath: null,
      pollMs: JRU_POLL_MS,
      answers: [JRU_METRICS]
    },
    B: {
      name: 'B',
      label: 'jupyterlab-cgroup-usage (sidecar via jupyter-server-proxy)',
      enabled: ['jupyter_server_proxy'],
      args: [],
      pollPath: null,
      // As the plugin does: the leading tab's stream at the refresh rate, handed to the others in the browser.
      streamPath: `${SIDECAR_STREAM}?interval=${pluginRefreshMs(repoRoot)}`,
      pollMs: pluginRefreshMs(repoRoot),
      answers: [SIDECAR_METRICS]
    },
    C: {
      name: 'C',
      label: 'no extension',
      enabled: [],
      args: [],
      pollPath: null,
      streamPath: null,
      pollMs: 0,
      answers: []
    },
    D: {
      name: 'D',
      label: 'jupyterlab-resource-monitor-extension, defaults',
      enabled: ['jupyterlab_resource_monitor_extension'],
      args: [],
      pollPath: MONITOR_METRICS,
      streamPath: null,
      pollMs: MONITOR_POLL_MS,
      answers: [MONITOR_METRICS]
    }
  };
}

/** `--ServerApp.jpserver_extensions NAME=True|False` for every extension the setups differ by. */
export function extensionArgs(setup: Setup): string[] {
  return METRIC_EXTENSIONS.flatMap(name => [
    '--ServerApp.jpserver_extensions',
    `${name}=${setup.enabled.includes(name) ? 'True' : 'False'}`
  ]);
}
