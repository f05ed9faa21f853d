/**
 * A real Prometheus scrapes a real sidecar (this machine's cgroup) on its --metrics-port every
 * second; what Prometheus stored must equal the sidecar's JSON for the same sample, counters
 * and gauges, with the JupyterHub labels on every series. The sample is pinned by a one-hour
 * --interval: after its second reading (250 ms after the first) the sidecar serves the same
 * sample until the test ends, and its timestamp, scraped too, proves which one was stored.
 * The shipped rules (monitoring/) are loaded too, and evaluated on what was scraped.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { buildDashboard, dashboardQueries } from '../../monitoring/dashboard.js';
import type { Sample } from '../../src/sample.js';
import { PrometheusServer, prometheusUnavailable, type VectorSample } from './prometheus-server.js';

const ROOT = resolve(__dirname, '../..');
const JOB = 'cgroup-usage';
const USER = `prometheus-test-${process.pid}`;
const SERVER_NAME = 'scraped';

interface Sidecar {
  child: ChildProcess;
  api: string;
  scrape: string;
}

/** Starts the sidecar from source with a pinned sample; resolves once it printed both listeners. */
async function startSidecar(): Promise<Sidecar> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'sidecar/src/cli.ts'),
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--interval',
      '3600000'
    ],
    {
      cwd: ROOT,
      env: { ...process.env, JUPYTERHUB_USER: USER, JUPYTERHUB_SERVER_NAME: SERVER_NAME },
      stdio: ['ignore', 'ignore', 'pipe']
    }
  );
  let stderr = '';
  const where = new Promise<[string, string]>((resolveWhere, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const api = /listening on (\S+)\n/.exec(stderr)?.[1];
      const scrape = /serving \/metrics for scraping on http:\/\/(\S+)\n/.exec(stderr)?.[1];
      if (api && scrape) {
        resolveWhere([api, scrape]);
      }
    });
    child.once('exit', code => reject(new Error(`sidecar exited ${code}: ${stderr}`)));
  });
  const [api, scrape] = await where;
  return { child, api, scrape };
}

/** The pinned sample: the second one, the first with a CPU figure (waited for with a deadline). */
async function pinnedSample(api: string): Promise<Sample> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${api}/api/v1/metrics`);
    if (response.status === 200) {
      const sample = (await response.json()) as Sample;
      if (sample.cpu.used !== null) {
        return sample;
      }
    }
    await delay(50);
  }
  throw new Error('the sidecar took no second reading within 10 s');
}

type Expected = [name: string, labels: Record<string, string>, value: number | null];

/** Every series the sample should give, with the value the JSON says (null: must be absent). */
function expectedSeries(sample: Sample): Expected[] {
  const expected: Expected[] = [
    ['cgroup_usage_sample_timestamp_seconds', {}, sample.timestamp / 1000],
    ['cgroup_usage_read_errors', {}, sample.errors.length],
    ['cgroup_usage_memory_working_set_bytes', {}, sample.memory.used],
    ['cgroup_usage_memory_usage_bytes', {}, sample.memory.usage],
    ['cgroup_usage_memory_cache_bytes', {}, sample.memory.cache],
    ['cgroup_usage_memory_swap_bytes', {}, sample.memory.swap],
    ['cgroup_usage_spec_memory_limit_bytes', {}, sample.memory.limit],
    ['cgroup_usage_oom_events_total', {}, sample.memory.oomKills],
    ['cgroup_usage_cpu_usage_seconds_total', {}, sample.cpu.usageSeconds],
    ['cgroup_usage_spec_cpu_limit_cores', {}, sample.cpu.limit],
    ['cgroup_usage_cpu_host_cpus', {}, sample.cpu.hostCpus],
    ['cgroup_usage_cpu_cfs_periods_total', {}, sample.cpu.periods],
    ['cgroup_usage_cpu_cfs_throttled_periods_total', {}, sample.cpu.throttledPeriods],
    ['cgroup_usage_cpu_cfs_throttled_seconds_total', {}, sample.cpu.throttledSeconds],
    ['cgroup_usage_pids_current', {}, sample.pids.current],
    ['cgroup_usage_pids_max', {}, sample.pids.max],
    [
      'cgroup_usage_info',
      {
        source: sample.source,
        memory_limit_source: sample.memory.limitSource,
        cpu_limit_source: sample.cpu.limitSource
      },
      1
    ]
  ];
  for (const resource of ['cpu', 'memory', 'io'] as const) {
    for (const [kind, word] of [
      ['some', 'waiting'],
      ['full', 'stalled']
    ] as const) {
      const line = sample.pressure[resource]?.[kind] ?? null;
      const scope = { scope: sample.pressure.scope ?? '' };
      expected.push([`cgroup_usage_pressure_${resource}_${word}_seconds_total`, scope, line && line.total / 1e6]);
      expected.push([
        'cgroup_usage_pressure_ratio',
        { ...scope, resource, kind, window: '10s' },
        line && line.avg10 / 100
      ]);
    }
  }
  if (sample.disk) {
    expected.push(['cgroup_usage_disk_used_bytes', { path: sample.disk.path }, sample.disk.used]);
    expected.push(['cgroup_usage_disk_total_bytes', { path: sample.disk.path }, sample.disk.total]);
  }
  return expected;
}

const unavailable = prometheusUnavailable();
if (unavailable) {
  console.log(`# SKIP real Prometheus tests: ${unavailable}`);
}

describe('a real Prometheus scraping --metrics-port', { skip: unavailable ?? false }, () => {
  let sidecar: Sidecar;
  let prometheus: PrometheusServer;
  let sample: Sample;
  let stored: VectorSample[];

  before(async () => {
    sidecar = await startSidecar();
    sample = await pinnedSample(sidecar.api);
    prometheus = await PrometheusServer.start(JOB, [sidecar.scrape], [join(ROOT, 'monitoring/cgroup-usage.rules.yml')]);
    await prometheus.until('target up', 60_000, async () => (await prometheus.targetHealth()).includes('up'));
    // Everything the last scrape stored (a scrape is stored whole, so the timestamp tells the sample).
    await prometheus.until('the pinned sample stored', 30_000, async () => {
      stored = await prometheus.query(`{job="${JOB}"}`);
      const timestamp = stored.find(s => s.metric.__name__ === 'cgroup_usage_sample_timestamp_seconds');
      return timestamp !== undefined && Number(timestamp.value[1]) === sample.timestamp / 1000;
    });
  });

  after(async () => {
    await prometheus?.stop();
    if (sidecar && sidecar.child.exitCode === null) {
      const exited = once(sidecar.child, 'exit');
      sidecar.child.kill('SIGTERM');
      await exited;
    }
  });

  it('stores exactly the JSON sample: every gauge and counter, and nothing the sample does not know', () => {
    const checked: string[] = [];
    for (const [name, labels, value] of expectedSeries(sample)) {
      const matches = stored.filter(
        s => s.metric.__name__ === name && Object.entries(labels).every(([key, wanted]) => s.metric[key] === wanted)
      );
      const what = `${name}${JSON.stringify(labels)}`;
      if (value === null) {
        assert.equal(matches.length, 0, `${what} is null in the sample but was stored`);
        continue;
      }
      assert.equal(matches.length, 1, `${what}: ${matches.length} series stored`);
      assert.equal(Number(matches[0]?.value[1]), value, what);
      checked.push(name);
    }
    // This machine's cgroup has memory and CPU figures at least.
    for (const name of [
      'cgroup_usage_memory_working_set_bytes',
      'cgroup_usage_cpu_usage_seconds_total',
      'cgroup_usage_info'
    ]) {
      assert.ok(checked.includes(name), `${name} not compared`);
    }
    console.log(`# ${checked.length} series equal to the JSON sample of ${new Date(sample.timestamp).toISOString()}`);
  });

  it('has the JupyterHub labels, the target labels and the version on every stored series', () => {
    assert.ok(stored.length > 15, `${stored.length} series stored`);
    for (const { metric } of stored) {
      if (
        [
          'up',
          'scrape_duration_seconds',
          'scrape_samples_scraped',
          'scrape_samples_post_metric_relabeling',
          'scrape_series_added'
        ].includes(metric.__name__ ?? '')
      ) {
        continue; // Prometheus' own series about the scrape
      }
      assert.equal(metric.jupyterhub_user, USER, metric.__name__);
      assert.equal(metric.jupyterhub_server_name, SERVER_NAME, metric.__name__);
      assert.equal(metric.instance, sidecar.scrape, metric.__name__);
    }
    const info = stored.find(s => s.metric.__name__ === 'cgroup_usage_info');
    assert.match(info?.metric.version ?? '', /^\d+\.\d+\.\d+/);
  });

  it("evaluates the shipped recording rules on the scraped series (the memory ratio is the JSON's)", async () => {
    let ratio: VectorSample[] = [];
    await prometheus.until('the recording rule evaluated', 30_000, async () => {
      ratio = await prometheus.query(`session:cgroup_usage_memory_working_set:ratio{job="${JOB}"}`);
      return ratio.length > 0;
    });
    assert.equal(ratio.length, 1);
    assert.equal(Number(ratio[0]?.value[1]), (sample.memory.used as number) / (sample.memory.limit as number));
    assert.equal(ratio[0]?.metric.jupyterhub_user, USER);
  });

  it("answers every query of the Grafana dashboard with data (the drill-down's $user: this sidecar's)", async () => {
    const queries = dashboardQueries(buildDashboard());
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    for (const { panel, expr } of queries) {
      // What Grafana substitutes: the chosen user, and a rate window of at least four scrapes.
      const promql = expr.replaceAll('$user', USER).replaceAll('$__rate_interval', '1m');
      let result: VectorSample[] = [];
      await prometheus.until(
        `data for ${panel}: ${promql}`,
        30_000,
        async () => (result = await prometheus.query(promql)).length > 0
      );
      assert.ok(
        result.every(series => Number.isFinite(Number(series.value[1]))),
        `${panel}: ${JSON.stringify(result)}`
      );
    }
  });

  it('types the counters as counters; rate() over the pinned sample is 0', async () => {
    // rate() needs two scrapes within the range: wait for the second.
    const promql = `rate(cgroup_usage_cpu_usage_seconds_total{job="${JOB}"}[1m])`;
    let rates: VectorSample[] = [];
    await prometheus.until('two scrapes', 30_000, async () => (rates = await prometheus.query(promql)).length > 0);
    assert.equal(Number(rates[0]?.value[1]), 0);
    const metadata = (await (
      await fetch(`${prometheus.url}/api/v1/metadata?metric=cgroup_usage_oom_events_total`)
    ).json()) as {
      data: Record<string, { type: string }[]>;
    };
    assert.equal(metadata.data.cgroup_usage_oom_events_total?.[0]?.type, 'counter');
  });
});
