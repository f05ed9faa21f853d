/**
 * `npm run bench:hub`: a simulated hub. N sidecars on loopback, each as the wheel starts it for a
 * scraped session (serverproxy's node and flags, a Unix socket, `--metrics-port 0`), each with
 * its own copy of the v2-namespace fixture tree (`--proc-root`/`--sys-root`) whose figures
 * differ per session and move while it runs (a driver rewrites the CPU counters every 5 s and
 * adds an OOM kill to every 25th session half-way), and its own `JUPYTERHUB_USER` (user-001 ...).
 * One real Prometheus (Debian's) scrapes them all every 5 s with monitoring/'s rules loaded.
 * Measured per N: targets up (Prometheus' `up`), scrape durations, each sidecar's CPU and RSS
 * (/proc), Prometheus' head series and RSS, every dashboard query and the rules' series.
 * Options: --sessions 1,50,200; --minutes (the largest N) and --short-minutes (the others); --out.
 * Needs the wheel in .venv (scripts/setup.sh) and `prometheus` on PATH.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  cpSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildDashboard, dashboardQueries } from '../../monitoring/dashboard.js';
import { sidecarCommand } from '../../test/helpers/sidecar.js';
import { PrometheusServer, prometheusUnavailable } from '../../test/sidecar/prometheus-server.js';
import { mb, ROOT, startSidecarUntilReady } from '../sidecarProcess.js';
import { describeMachine, machineMarkdown } from '../ui/machine.js';
import { cpuSeconds, rssBytes } from '../ui/proc.js';
import { max, median, percentile } from '../ui/stats.js';

const JOB = 'hub';
const SCRAPE_SECONDS = 5;
const FIXTURE = join(ROOT, 'test/sidecar/fixtures/v2-namespace');
const RULES = join(ROOT, 'monitoring/cgroup-usage.rules.yml');
/** The v2-namespace fixture's cgroup, where each session's figures are written. */
const CGROUP = 'sys/fs/cgroup';
const POINT_EVERY_MS = 10_000;
const START_CONCURRENCY = 8;
/** What Grafana would substitute: one user of the drill-down, and a rate window of 12 scrapes. */
const GRAFANA_USER = 'user-001';
const RATE_INTERVAL = '1m';
const RANGE_STEP_SECONDS = 15;
const GiB = 2 ** 30;

/** A number in [0, 1) that differs from session to session without repeating soon (golden-ratio steps). */
function spread(index: number, step: number): number {
  return (index * step) % 1;
}

/** What one simulated session uses: fixed per index, so two runs simulate the same hub. */
class Session {
  readonly user: string;
  readonly serverName: string;
  readonly memoryLimit: number;
  readonly workingSet: number;
  readonly inactiveFile: number;
  readonly cpuLimit: number;
  readonly cpuCores: number;
  readonly throttledShare: number;
  private usageUsec = 0;
  private periods = 0;
  private throttledPeriods = 0;
  private throttledUsec = 0;
  private cpuWaitingUsec = 0;
  oomKills = 1;

  constructor(
    readonly index: number,
    readonly dir: string
  ) {
    this.user = `user-${String(index + 1).padStart(3, '0')}`;
    this.serverName = index % 4 === 3 ? 'analysis' : '';
    this.memoryLimit = [1, 2, 4, 8][index % 4] * GiB;
    // 15 % to 95 % of the limit: some sessions are above the near-the-limit alert's 90 %.
    this.workingSet = Math.round(this.memoryLimit * (0.15 + 0.8 * spread(index, 0.618034)));
    this.inactiveFile = Math.round(this.memoryLimit * 0.1 * spread(index, 0.414214));
    this.cpuLimit = [0.5, 1, 2, 4][Math.floor(index / 4) % 4];
    this.cpuCores = this.cpuLimit * (0.05 + 0.95 * spread(index, 0.754878));
    // Sessions running near their quota are throttled in most periods, the others rarely.
    this.throttledShare = this.cpuCores / this.cpuLimit > 0.8 ? 0.6 : 0.02;
    cpSync(FIXTURE, dir, { recursive: true });
    this.write('memory.max', `${this.memoryLimit}\n`);
    this.write('memory.current', `${this.workingSet + this.inactiveFile}\n`);
    const anon = Math.round(this.workingSet * 0.8);
    const activeFile = this.workingSet - anon;
    this.write(
      'memory.stat',
      [
        `anon ${anon}`,
        `file ${activeFile + this.inactiveFile}`,
        'kernel 1048576',
        'shmem 0',
        `active_anon ${anon}`,
        'inactive_anon 0',
        `active_file ${activeFile}`,
        `inactive_file ${this.inactiveFile}`,
        'pgfault 1000',
        ''
      ].join('\n')
    );
    this.write('cpu.max', `${Math.round(this.cpuLimit * 100_000)} 100000\n`);
    this.writeMoving();
  }

  /**
   * Rewrites a cgroup file in place: the sidecar keeps its descriptors open and preads them, so
   * a renamed-over file would go unseen, and truncating first could show it an empty file. The
   * figures only grow, so the text never gets shorter and one write covers the old one whole.
   */
  private write(name: string, text: string): void {
    const fd = openSync(join(this.dir, CGROUP, name), 'r+');
    try {
      const bytes = Buffer.from(text);
      writeSync(fd, bytes, 0, bytes.length, 0);
      ftruncateSync(fd, bytes.length);
    } finally {
      closeSync(fd);
    }
  }

  /** Advances the counters by `seconds` of this session's work. */
  advance(seconds: number): void {
    const periods = Math.round(seconds * 10); // 100 ms CFS periods
    this.usageUsec += Math.round(this.cpuCores * seconds * 1e6);
    this.periods += periods;
    this.throttledPeriods += Math.round(periods * this.throttledShare);
    this.throttledUsec += Math.round(periods * this.throttledShare * 20_000);
    this.cpuWaitingUsec += Math.round(seconds * 1e6 * this.throttledShare * 0.3);
    this.writeMoving();
  }

  writeMoving(): void {
    this.write(
      'cpu.stat',
      [
        `usage_usec ${this.usageUsec}`,
        `user_usec ${Math.round(this.usageUsec * 0.7)}`,
        `system_usec ${this.usageUsec - Math.round(this.usageUsec * 0.7)}`,
        `nr_periods ${this.periods}`,
        `nr_throttled ${this.throttledPeriods}`,
        `throttled_usec ${this.throttledUsec}`,
        'nr_bursts 0',
        'burst_usec 0',
        ''
      ].join('\n')
    );
    this.write(
      'cpu.pressure',
      `some avg10=0.00 avg60=0.00 avg300=0.00 total=${this.cpuWaitingUsec}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`
    );
    this.write(
      'memory.events',
      `low 0\nhigh 0\nmax 12\noom ${this.oomKills + 1}\noom_kill ${this.oomKills}\noom_group_kill 0\n`
    );
  }
}

interface RunningSidecar {
  session: Session;
  child: ChildProcess;
  target: string;
  rss: number[];
  cpuAtStart: number;
}

interface QueryFigure {
  panel: string;
  promql: string;
  instantSeries: number;
  instantMs: number;
  rangeSeries: number;
  rangeMs: number;
}

interface RuleFigure {
  name: string;
  type: string;
  /** Recording rules: series present; alerting rules: alerts pending or firing. */
  series: number;
  health: string;
}

interface CaseResult {
  sessions: number;
  minutes: number;
  wallSeconds: number;
  startSeconds: number;
  allUpAfterSeconds: number;
  targetsUpAtEnd: number;
  targetsUpThroughout: number;
  scrapesPerTarget: { min: number; median: number };
  scrapeMs: { p50Median: number; p50Max: number; p99Median: number; p99Max: number };
  samplesPerScrape: number;
  /** Targets whose sidecar reported a read error in some scrape (`cgroup_usage_read_errors` > 0). */
  targetsWithReadErrors: number;
  sidecarCpuPercent: { median: number; max: number; sum: number };
  sidecarRssMiB: { medianOfMedians: number; max: number; sumAtEnd: number };
  prometheus: {
    headSeriesEnd: number;
    headSeriesMax: number;
    rssMiBMedian: number;
    rssMiBMax: number;
    cpuPercent: number;
  };
  queries: QueryFigure[];
  rules: RuleFigure[];
}

/** Everything to undo on any exit: temp trees and Prometheus (sidecars are killed by sidecarProcess). */
const cleanups = new Set<() => void>();
process.once('exit', () => cleanups.forEach(cleanup => cleanup()));
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129]
] as const) {
  process.once(signal, () => {
    console.error(`bench:hub: ${signal}, cleaning up`);
    process.exit(code);
  });
}

async function prometheusSelf(prometheus: PrometheusServer, name: string): Promise<number> {
  const text = await (await fetch(`${prometheus.url}/metrics`)).text();
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  if (!line) throw new Error(`Prometheus' /metrics has no ${name}`);
  return Number(line.split(' ')[1]);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, Math.round((performance.now() - start) * 10) / 10];
}

async function rangeSeries(prometheus: PrometheusServer, promql: string, seconds: number): Promise<number> {
  const end = Date.now() / 1000;
  const params = new URLSearchParams({
    query: promql,
    start: String(end - seconds),
    end: String(end),
    step: String(RANGE_STEP_SECONDS)
  });
  const body = (await (await fetch(`${prometheus.url}/api/v1/query_range?${params}`)).json()) as {
    status: string;
    error?: string;
    data: { result: unknown[] };
  };
  if (body.status !== 'success') throw new Error(`query_range ${promql}: ${body.error}`);
  return body.data.result.length;
}

async function rules(prometheus: PrometheusServer): Promise<RuleFigure[]> {
  const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
    data: { groups: { rules: { name: string; type: string; health: string; alerts?: unknown[] }[] }[] };
  };
  const figures: RuleFigure[] = [];
  for (const rule of body.data.groups.flatMap(group => group.rules)) {
    const series = rule.type === 'recording' ? (await prometheus.query(rule.name)).length : (rule.alerts ?? []).length;
    figures.push({ name: rule.name, type: rule.type, series, health: rule.health });
  }
  return figures;
}

/** Values of an instant vector, one per target. */
async function perTarget(prometheus: PrometheusServer, promql: string): Promise<number[]> {
  return (await prometheus.query(promql)).map(sample => Number(sample.value[1]));
}

async function runCase(command: string[], sessions: number, minutes: number): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hub-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  cleanups.add(removeDir);
  const startedAt = performance.now();
  const simulated = Array.from({ length: sessions }, (_, index) => new Session(index, join(dir, `session-${index}`)));
  const sidecars: RunningSidecar[] = [];
  let prometheus: PrometheusServer | null = null;
  const killPrometheus = () => prometheus?.killNow();
  cleanups.add(killPrometheus);
  try {
    for (let first = 0; first < sessions; first += START_CONCURRENCY) {
      const batch = simulated.slice(first, first + START_CONCURRENCY).map(async session => {
        const { child, ready } = await startSidecarUntilReady(
          [
            ...command.map(arg => arg.replace('{unix_socket}', join(session.dir, 'sidecar.sock'))),
            '--metrics-port',
            '0',
            '--proc-root',
            join(session.dir, 'proc'),
            '--sys-root',
            join(session.dir, 'sys')
          ],
          {
            env: { ...process.env, JUPYTERHUB_USER: session.user, JUPYTERHUB_SERVER_NAME: session.serverName },
            ready: /serving \/metrics for scraping on http:\/\/(\S+)\n/
          }
        );
        return { session, child, target: ready[1], rss: [], cpuAtStart: 0 };
      });
      sidecars.push(...(await Promise.all(batch)));
    }
    prometheus = await PrometheusServer.start(
      JOB,
      sidecars.map(sidecar => sidecar.target),
      [RULES],
      `${SCRAPE_SECONDS}s`
    );
    const server = prometheus;
    const promStarted = performance.now();
    await server.until(`all ${sessions} targets up`, 120_000, async () => {
      const health = await server.targetHealth();
      return health.length === sessions && health.every(h => h === 'up');
    });
    const allUpAfterSeconds = Math.round((performance.now() - promStarted) / 100) / 10;
    const startSeconds = Math.round((performance.now() - startedAt) / 100) / 10;
    console.log(
      `hub ${sessions}: all targets up ${allUpAfterSeconds} s after Prometheus started; measuring ${minutes} min`
    );

    for (const sidecar of sidecars) sidecar.cpuAtStart = cpuSeconds(sidecar.child.pid!) ?? 0;
    const prometheusCpuAtStart = cpuSeconds(server.pid) ?? 0;
    const start = performance.now();
    const end = start + minutes * 60_000;
    let nextAdvance = start + SCRAPE_SECONDS * 1000;
    let oomAdded = false;
    const headSeries: number[] = [];
    const prometheusRss: number[] = [];
    let nextPoint = start;
    while (performance.now() < end) {
      const now = performance.now();
      if (now >= nextAdvance) {
        if (!oomAdded && now - start >= (end - start) / 2) {
          simulated.filter(session => session.index % 25 === 0).forEach(session => session.oomKills++);
          oomAdded = true;
        }
        simulated.forEach(session => session.advance(SCRAPE_SECONDS));
        nextAdvance += SCRAPE_SECONDS * 1000;
      }
      if (now >= nextPoint) {
        for (const sidecar of sidecars) {
          const rss = rssBytes(sidecar.child.pid!);
          if (rss === null || sidecar.child.exitCode !== null) {
            throw new Error(`the sidecar of ${sidecar.session.user} exited during the run`);
          }
          sidecar.rss.push(rss);
        }
        prometheusRss.push(rssBytes(server.pid) ?? NaN);
        headSeries.push(await prometheusSelf(server, 'prometheus_tsdb_head_series'));
        console.log(
          JSON.stringify({
            sessions,
            seconds: Math.round((now - start) / 1000),
            headSeries: headSeries[headSeries.length - 1],
            prometheusRssMiB: mb(prometheusRss[prometheusRss.length - 1]),
            sidecarRssMiBSum: mb(sidecars.reduce((sum, s) => sum + s.rss[s.rss.length - 1], 0))
          })
        );
        nextPoint += POINT_EVERY_MS;
      }
      await sleep(Math.max(0, Math.min(nextAdvance, nextPoint, end) - performance.now()));
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const cpuPercent = sidecars.map(
      sidecar => ((cpuSeconds(sidecar.child.pid!)! - sidecar.cpuAtStart) / wallSeconds) * 100
    );
    const prometheusCpuPercent = (((cpuSeconds(server.pid) ?? 0) - prometheusCpuAtStart) / wallSeconds) * 100;

    const window = `${Math.floor(wallSeconds)}s`;
    const selector = `{job="${JOB}"}`;
    const upAtEnd = await perTarget(server, `up${selector}`);
    const upThroughout = await perTarget(server, `min_over_time(up${selector}[${window}])`);
    const scrapes = await perTarget(server, `count_over_time(up${selector}[${window}])`);
    const p50 = await perTarget(server, `quantile_over_time(0.5, scrape_duration_seconds${selector}[${window}])`);
    const p99 = await perTarget(server, `quantile_over_time(0.99, scrape_duration_seconds${selector}[${window}])`);
    const samplesScraped = await perTarget(server, `scrape_samples_scraped${selector}`);
    const readErrors = await perTarget(server, `max_over_time(cgroup_usage_read_errors${selector}[${window}])`);

    const queries: QueryFigure[] = [];
    for (const { panel, expr } of dashboardQueries(buildDashboard())) {
      const promql = expr.replaceAll('$user', GRAFANA_USER).replaceAll('$__rate_interval', RATE_INTERVAL);
      const [instant, instantMs] = await timed(() => server.query(promql));
      const [range, rangeMs] = await timed(() => rangeSeries(server, promql, Math.floor(wallSeconds)));
      queries.push({ panel, promql, instantSeries: instant.length, instantMs, rangeSeries: range, rangeMs });
    }
    const ms = (seconds: number[], p: number) => Math.round(percentile(seconds, p) * 1e4) / 10;
    const percent = (value: number) => Math.round(value * 100) / 100;
    const sidecarMedians = sidecars.map(sidecar => median(sidecar.rss));
    return {
      sessions,
      minutes,
      wallSeconds: Math.round(wallSeconds),
      startSeconds,
      allUpAfterSeconds,
      targetsUpAtEnd: upAtEnd.filter(value => value === 1).length,
      targetsUpThroughout: upThroughout.filter(value => value === 1).length,
      scrapesPerTarget: { min: Math.min(...scrapes), median: median(scrapes) },
      scrapeMs: { p50Median: ms(p50, 50), p50Max: ms(p50, 100), p99Median: ms(p99, 50), p99Max: ms(p99, 100) },
      samplesPerScrape: median(samplesScraped),
      targetsWithReadErrors: readErrors.filter(value => value > 0).length,
      sidecarCpuPercent: {
        median: percent(median(cpuPercent)),
        max: percent(max(cpuPercent)),
        sum: percent(cpuPercent.reduce((sum, value) => sum + value, 0))
      },
      sidecarRssMiB: {
        medianOfMedians: mb(median(sidecarMedians)),
        max: mb(max(sidecars.flatMap(sidecar => sidecar.rss))),
        sumAtEnd: mb(sidecars.reduce((sum, sidecar) => sum + sidecar.rss[sidecar.rss.length - 1], 0))
      },
      prometheus: {
        headSeriesEnd: headSeries[headSeries.length - 1],
        headSeriesMax: max(headSeries),
        rssMiBMedian: mb(median(prometheusRss)),
        rssMiBMax: mb(max(prometheusRss)),
        cpuPercent: percent(prometheusCpuPercent)
      },
      queries,
      rules: await rules(server)
    };
  } finally {
    await Promise.all(
      sidecars
        .filter(sidecar => sidecar.child.exitCode === null)
        .map(sidecar => {
          const exited = once(sidecar.child, 'exit');
          sidecar.child.kill('SIGTERM');
          return exited;
        })
    );
    await prometheus?.stop();
    cleanups.delete(killPrometheus);
    removeDir();
    cleanups.delete(removeDir);
  }
}

function report(results: CaseResult[], argv: string, machine: string[]): string[] {
  const row = (label: string, cell: (result: CaseResult) => string | number) =>
    `| ${label} | ${results.map(result => cell(result)).join(' | ')} |`;
  const header = [
    `| figure | ${results.map(r => `${r.sessions} session${r.sessions === 1 ? '' : 's'}`).join(' | ')} |`
  ];
  header.push(`|---|${results.map(() => '---|').join('')}`);
  const queryRows = results[0].queries.map(
    (query, index) =>
      `| ${query.panel}: \`${query.promql.replaceAll('|', '\\|')}\` | ${results
        .map(
          r =>
            `${r.queries[index].instantSeries} (${r.queries[index].instantMs} ms) / ${r.queries[index].rangeSeries} (${r.queries[index].rangeMs} ms)`
        )
        .join(' | ')} |`
  );
  const ruleRows = results[0].rules.map(
    (rule, index) =>
      `| ${rule.type === 'recording' ? '' : 'alert '}\`${rule.name}\` | ${results
        .map(r => `${r.rules[index].series} (${r.rules[index].health})`)
        .join(' | ')} |`
  );
  return [
    '# Hub-scale simulation (`npm run bench:hub`)',
    '',
    `Command: \`npm run bench:hub -- ${argv}\``,
    '',
    ...machine,
    '',
    "Each session is a sidecar as the wheel starts it for a scraped session (serverproxy's node and",
    'flags, a Unix socket, `--metrics-port 0`, the default 1 s interval), reading its own copy of the',
    '`v2-namespace` fixture tree (`--proc-root`/`--sys-root`) with figures of its own: memory limits',
    'of 1/2/4/8 GiB, working sets of 15-95 % of them, CPU limits of 0.5-4 cores, CPU counters that',
    `the benchmark advances every ${SCRAPE_SECONDS} s (sessions near their quota throttled in 60 % of periods, the`,
    'others in 2 %), and one more OOM kill half-way for every 25th session. `JUPYTERHUB_USER` is',
    "user-001 ..., every 4th session has the server name `analysis`. One Prometheus (Debian's) scrapes",
    `all of them every ${SCRAPE_SECONDS} s with \`monitoring/cgroup-usage.rules.yml\` loaded (evaluated every ${SCRAPE_SECONDS} s).`,
    'Measuring starts once every target is up. CPU is utime+stime from /proc/PID/stat over the',
    `measured time, in % of one core; RSS (VmRSS) and Prometheus' \`prometheus_tsdb_head_series\` (from its own`,
    `/metrics) every ${POINT_EVERY_MS / 1000} s. Scrape durations are \`quantile_over_time\` of \`scrape_duration_seconds\``,
    'per target over the measured time; the table gives the median and the worst target.',
    '',
    ...header,
    row('measured, min', r => (r.wallSeconds / 60).toFixed(1)),
    row('start-up of the sidecars and Prometheus, s', r => r.startSeconds),
    row('all targets up after Prometheus started, s', r => r.allUpAfterSeconds),
    row('targets up at the end (`up == 1`)', r => `${r.targetsUpAtEnd} / ${r.sessions}`),
    row('targets up throughout (`min_over_time(up)`)', r => `${r.targetsUpThroughout} / ${r.sessions}`),
    row('scrapes per target (min / median)', r => `${r.scrapesPerTarget.min} / ${r.scrapesPerTarget.median}`),
    row('samples per scrape', r => r.samplesPerScrape),
    row('targets that reported a read error', r => r.targetsWithReadErrors),
    row('scrape duration p50, ms (median target / worst)', r => `${r.scrapeMs.p50Median} / ${r.scrapeMs.p50Max}`),
    row('scrape duration p99, ms (median target / worst)', r => `${r.scrapeMs.p99Median} / ${r.scrapeMs.p99Max}`),
    row(
      'sidecar CPU, % of a core (median / max / all together)',
      r => `${r.sidecarCpuPercent.median} / ${r.sidecarCpuPercent.max} / ${r.sidecarCpuPercent.sum}`
    ),
    row(
      'sidecar RSS, MiB (median / max / all together at the end)',
      r => `${r.sidecarRssMiB.medianOfMedians} / ${r.sidecarRssMiB.max} / ${r.sidecarRssMiB.sumAtEnd}`
    ),
    row('Prometheus head series (end / max)', r => `${r.prometheus.headSeriesEnd} / ${r.prometheus.headSeriesMax}`),
    row('Prometheus RSS, MiB (median / max)', r => `${r.prometheus.rssMiBMedian} / ${r.prometheus.rssMiBMax}`),
    row('Prometheus CPU, % of a core', r => r.prometheus.cpuPercent),
    '',
    `The dashboard's queries (\`dashboardQueries(buildDashboard())\`) at the end, \`$user\` = ${GRAFANA_USER} and`,
    `\`$__rate_interval\` = ${RATE_INTERVAL}: series returned (time) by an instant query / by a range query over the`,
    `measured time at a ${RANGE_STEP_SECONDS} s step, as Grafana sends them.`,
    '',
    `| query | ${results.map(r => `${r.sessions}`).join(' | ')} |`,
    `|---|${results.map(() => '---|').join('')}`,
    ...queryRows,
    '',
    "The rules at the end: series of each recording rule, alerts pending or firing of each alerting rule (and the rule's health).",
    '',
    `| rule | ${results.map(r => `${r.sessions}`).join(' | ')} |`,
    `|---|${results.map(() => '---|').join('')}`,
    ...ruleRows,
    ''
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '1,50,200' },
      minutes: { type: 'string', default: '10' },
      'short-minutes': { type: 'string', default: '3' },
      out: { type: 'string', default: join(ROOT, 'docs/benchmarks') }
    }
  });
  const counts = values.sessions!.split(',').map(Number);
  if (counts.some(n => !Number.isInteger(n) || n < 1 || n > 999)) {
    throw new Error(`--sessions: expected whole numbers from 1 to 999, got '${values.sessions}'`);
  }
  const minutes = Number(values.minutes);
  const shortMinutes = Number(values['short-minutes']);
  if (!(minutes > 0) || !(shortMinutes > 0)) throw new Error('--minutes and --short-minutes must be positive');
  const unavailable = prometheusUnavailable();
  if (unavailable) throw new Error(`bench:hub needs Debian's prometheus: ${unavailable}`);
  let command: string[];
  try {
    command = sidecarCommand();
  } catch (error) {
    throw new Error(
      `the wheel is not installed in .venv (run: bash -c 'source scripts/setup.sh; setup_all'): ${error}`
    );
  }
  const out = resolve(values.out!);
  const largest = Math.max(...counts);
  const machine = machineMarkdown(describeMachine());
  const results: CaseResult[] = [];
  for (const sessions of counts) {
    const caseMinutes = sessions === largest ? minutes : shortMinutes;
    console.log(`hub: ${sessions} sessions for ${caseMinutes} min: ${command.join(' ')}`);
    results.push(await runCase(command, sessions, caseMinutes));
  }
  const argv = `--sessions ${counts.join(',')} --minutes ${minutes} --short-minutes ${shortMinutes}`;
  const lines = report(results, argv, machine);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'hub.md'), lines.join('\n'));
  writeFileSync(join(out, 'hub-results.json'), `${JSON.stringify({ command, results })}\n`);
  console.log(`\n${lines.join('\n')}\nwritten to ${join(out, 'hub.md')} and hub-results.json`);
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
