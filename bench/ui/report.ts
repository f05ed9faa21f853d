/**
 * Writes the UI benchmark's results: JSON (every figure), a Markdown table with the machine
 * and the goal ratios, and the plot (drawn by plot.py with the bench venv's matplotlib).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseParams, CaseResult, Timing } from './case.js';
import { machineMarkdown, type Machine } from './machine.js';
import type { Setup, SetupName } from './setups.js';
import { median } from './stats.js';
import type { UpdatesResult } from './updates.js';

export interface Report {
  command: string;
  /** The commit checked out when the run started (others' uncommitted work may be in the tree). */
  commit: string;
  machine: Machine;
  /** Load average when the run ended. */
  loadAtEnd: number[];
  timing: Timing;
  setups: Setup[];
  versions: Record<string, string | null>;
  wheel: string | null;
  results: CaseResult[];
  /** The server CPU per status-bar update (absent in reports of earlier runs). */
  updates?: UpdatesResult[];
  failures: (CaseParams & { setup: SetupName; error: string })[];
}

/** The case the goals are stated for. */
export const GOAL_CASE = { gb: 2, n: 64, k: 3 };
const GOAL_RATIO = 1.2;
/** Ours against jupyterlab-resource-monitor-extension (D): at most half its server CPU per update. */
const UPDATE_GOAL_RATIO = 0.5;

/** NaN (no value) is written to ui-results.json as null: both print as a dash, also in --render. */
const missing = (value: number | null): value is null => value === null || Number.isNaN(value);
const ms = (value: number | null): string =>
  missing(value) ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
const seconds = (value: number | null): string => (value === null ? '–' : value.toFixed(2));
const megabytes = (value: number | null): string => (value === null ? '–' : (value / 2 ** 20).toFixed(0));

/** The Markdown row under a table's header: one `---` per column. */
function separatorRow(header: string): string {
  return `|${header
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`;
}

/** Grid order: GB, N, K, then setup, then run. */
function byCase(a: CaseResult, b: CaseResult): number {
  return a.gb - b.gb || a.n - b.n || a.k - b.k || a.setup.localeCompare(b.setup) || a.run - b.run;
}

export function tableRows(results: CaseResult[]): string[] {
  const header =
    '| setup | GB | N | K | run | keys | echo p50 ms | p95 | p99 | max | keys > 100 ms | metrics req median ms | max | server CPU s | sidecar CPU s | sidecar RSS MB |';
  return [
    header,
    separatorRow(header),
    ...[...results]
      .sort(byCase)
      .map(r =>
        [
          r.setup,
          r.gb,
          r.n,
          r.k,
          r.run,
          r.keys,
          // With keys lost, each figure is a lower bound.
          ...[r.echo.p50, r.echo.p95, r.echo.p99, r.echo.max].map(value => (r.echo.lost > 0 ? '≥ ' : '') + ms(value)),
          r.echo.lost > 0 ? `${r.echo.over100} (${r.echo.lost} lost)` : r.echo.over100,
          r.metrics ? ms(r.metrics.median) : '–',
          r.metrics ? ms(r.metrics.max) + (r.metrics.failures > 0 ? ` (${r.metrics.failures} failed)` : '') : '–',
          seconds(r.serverCpu),
          seconds(r.sidecarCpu),
          megabytes(r.sidecarRss)
        ].join(' | ')
      )
      .map(row => `| ${row} |`)
  ];
}

/**
 * Each setup's echo p99 and CPU time against (C)'s in the goal case, each the median over
 * that setup's runs of the case; null where (C) was not measured.
 */
export function goalRatios(
  results: CaseResult[]
): { setup: SetupName; runs: number; p99: number; cpu: number; lowerBound: boolean; figures: string }[] | null {
  const runs = (setup: SetupName): CaseResult[] =>
    results.filter(r => r.setup === setup && r.gb === GOAL_CASE.gb && r.n === GOAL_CASE.n && r.k === GOAL_CASE.k);
  const p99 = (setup: SetupName): number => median(runs(setup).map(r => r.echo.p99));
  const cpu = (setup: SetupName): number => median(runs(setup).map(r => r.serverCpu + (r.sidecarCpu ?? 0)));
  if (runs('C').length === 0) return null;
  return (['A1', 'A2', 'B', 'D'] as SetupName[])
    .filter(setup => runs(setup).length > 0)
    .map(setup => ({
      setup,
      runs: runs(setup).length,
      p99: p99(setup) / p99('C'),
      cpu: cpu(setup) / cpu('C'),
      figures:
        `echo p99 ${ms(p99(setup))} vs ${ms(p99('C'))} ms, ` + `CPU ${seconds(cpu(setup))} vs ${seconds(cpu('C'))} s`,
      // Keys lost in a run make its p99 a lower bound, and so the ratio.
      lowerBound: runs(setup).some(r => r.echo.lost > 0)
    }));
}

const ratio = (value: number): string =>
  (value >= 10 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2)) + '×';

export function goalLines(results: CaseResult[]): string[] {
  const ratios = goalRatios(results);
  if (!ratios) return ['Goal case (GB=2, N=64, K=3) not measured for (C) in this run: no ratios.'];
  return ratios.map(({ setup, runs, p99, cpu, lowerBound, figures }) => {
    const verdict = (value: number): string =>
      setup === 'B' ? (value <= GOAL_RATIO ? ' (goal ≤ 1.2: met)' : ' (goal ≤ 1.2: NOT met)') : '';
    const what = setup === 'B' ? 'server + sidecar CPU' : 'server CPU';
    return (
      `- (${setup}) / (C), medians of ${runs} run(s): echo p99 ${lowerBound ? '≥ ' : ''}${ratio(p99)}${verdict(p99)}; ` +
      `${what} ${ratio(cpu)}${verdict(cpu)} (${figures})`
    );
  });
}

export function updateRows(updates: UpdatesResult[]): string[] {
  if (updates.length === 0) return [];
  const header =
    '| setup | K | window s | updates | requests or messages | server CPU s | sidecar CPU s | server ms / update (less C) | sidecar ms / update | load start / end | failures |';
  return [
    header,
    separatorRow(header),
    ...updates.map(
      u =>
        `| ${[
          u.setup,
          u.k,
          u.windowSeconds.toFixed(0),
          u.updates,
          u.serverHits,
          seconds(u.serverCpu),
          seconds(u.sidecarCpu),
          missing(u.serverMsPerUpdate) ? '–' : u.serverMsPerUpdate.toFixed(2),
          u.sidecarMsPerUpdate === null ? '–' : u.sidecarMsPerUpdate.toFixed(2),
          u.load.map(value => value.toFixed(2)).join(' / '),
          u.failures
        ].join(' | ')} |`
    )
  ];
}

/** Ours (B) against jupyterlab-resource-monitor-extension (D), per status-bar update. */
export function updateGoalLines(updates: UpdatesResult[]): string[] {
  const ours = updates.find(u => u.setup === 'B');
  const peer = updates.find(u => u.setup === 'D');
  if (!ours || !peer) return ['Server CPU per update not measured for both (B) and (D) in this run: no ratios.'];
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const server = ours.serverMsPerUpdate / peer.serverMsPerUpdate;
  const total = ours.serverMsPerUpdate + (ours.sidecarMsPerUpdate ?? 0);
  return [
    `- (B) / (D) server CPU per update: ${ratio(server)} (goal ≤ ${UPDATE_GOAL_RATIO}: ${met(server <= UPDATE_GOAL_RATIO)}; ` +
      `${ours.serverMsPerUpdate.toFixed(2)} vs ${peer.serverMsPerUpdate.toFixed(2)} ms)`,
    `- (B) server + sidecar per update against (D)'s server: ${total.toFixed(2)} vs ${peer.serverMsPerUpdate.toFixed(2)} ms ` +
      `(goal ≤: ${met(total <= peer.serverMsPerUpdate)})`
  ];
}

function markdown(report: Report): string {
  const { timing } = report;
  return [
    '# UI responsiveness with and without a resource-usage extension (`npm run bench:ui`)',
    '',
    'Written by `bench/ui/cli.ts`; every figure of this run is also in `ui-results.json`.',
    '',
    `Command: \`${report.command}\`, at commit ${report.commit}.`,
    '',
    '## Machine',
    '',
    ...machineMarkdown(report.machine),
    `- load average at the end: ${report.loadAtEnd.join(' / ')}`,
    `- Python ${report.versions.python}; ` +
      Object.entries(report.versions)
        .filter(([name, version]) => name !== 'python' && version)
        .map(([name, version]) => `${name} ${version}`)
        .join(', '),
    `- our wheel: ${report.wheel?.split('/').pop() ?? 'not installed (setup B not run)'}`,
    '',
    'The machine is shared: other builds and tests may have run during the measurement, so',
    'single-digit-millisecond differences are within the noise. Each case starts a fresh server',
    'and the setups of a case run back to back, so they see similar background load',
    "(`load` in the JSON is the 1-minute load average at each case's start).",
    '',
    '## Setups',
    '',
    ...report.setups.map(
      s =>
        `- (${s.name}) ${s.label}` +
        (s.streamPath
          ? `: the K tabs share one WebSocket, \`${s.streamPath}\`, whose every message updates all of them`
          : s.pollPath
            ? `: each tab polls \`GET ${s.pollPath}\` every ${s.pollMs} ms`
            : ': no tab polls anything')
    ),
    '',
    '## Method',
    '',
    "A fresh Jupyter server on 127.0.0.1 per case, with the setup's extensions chosen by",
    "`--ServerApp.jpserver_extensions`; before measuring, the harness checks that the setup's",
    "metrics route answers and the other setups' routes 404. A kernel fills GB GiB of private memory (a",
    '`bytearray`) and then forks N children that sleep, so every child maps it; K simulated',
    "tabs poll the setup's metrics endpoint (a request, then a pause of the interval), or, for",
    'our plugin, share the one stream its leading tab opens; then a',
    `key is typed into a Jupyter terminal over its WebSocket every ${timing.keyIntervalMs} ms for ${timing.seconds} s`,
    `(after ${timing.warmupMs / 1000} s of warm-up) and each key's echo latency is measured. CPU`,
    'times are user + system seconds of the process over the typing window (/proc/PID/stat).',
    'Metrics request latency covers every request the tabs made during the case. After the',
    'window the harness waits up to 30 s for missing echoes; a key still missing then is "lost"',
    "and counts with the time it had waited, so that row's echo figures are lower bounds (≥).",
    '',
    '## Goals (GB=2, N=64, K=3)',
    '',
    ...goalLines(report.results),
    '',
    '## Results',
    '',
    ...tableRows(report.results),
    '',
    ...((report.updates ?? []).length > 0
      ? [
          '## Server CPU per status-bar update',
          '',
          'One idle server per setup (no kernel, no terminal), all started together and measured over',
          `the same window, each with ${report.updates![0].k} simulated tabs fed as its frontend feeds them, until every setup's`,
          'tabs had the asked-for number of updates (all tabs together). A server with no extension (C) ran beside',
          "them: its CPU over the window is subtracted from each server's before dividing by the updates.",
          "The sidecar's CPU is given beside it; (D) samples in a thread of the server, so its figure",
          'includes its sampling.',
          '',
          ...updateGoalLines(report.updates!),
          '',
          ...updateRows(report.updates!),
          ''
        ]
      : []),
    ...(report.failures.length > 0
      ? [
          '## Cases that failed',
          '',
          ...report.failures.map(f => `- (${f.setup}) GB=${f.gb} N=${f.n} K=${f.k}: ${f.error.split('\n')[0]}`),
          ''
        ]
      : []),
    '![Terminal echo p99 against the number of children, per setup](ui-echo-p99.png)',
    ''
  ].join('\n');
}

export function writeReport(report: Report, outDir: string, python: string): void {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'ui-results.json');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(outDir, 'ui.md'), markdown(report));
  execFileSync(python, [join(__dirname, 'plot.py'), json, join(outDir, 'ui-echo-p99.png')], {
    stdio: 'inherit',
    timeout: 120_000
  });
}
