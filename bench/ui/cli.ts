/**
 * `npm run bench:ui [-- options]`: the frozen-UI benchmark over the grid of setups and
 * cases, or with --footprint the sidecar's own footprint. See --help.
 */
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runCase, type CaseResult, type Timing } from './case.js';
import { runFootprint } from './footprint.js';
import { describeMachine } from './machine.js';
import { GOAL_CASE, goalLines, tableRows, updateGoalLines, updateRows, writeReport, type Report } from './report.js';
import { stopAllServers } from './server.js';
import { SETUP_NAMES, setups, type SetupName } from './setups.js';
import { runUpdates } from './updates.js';
import { prepareVenv, VENV_DIR } from './venv.js';

const REPO_ROOT = resolve(__dirname, '..', '..');
const FULL_GRID = { setups: 'A1,A2,B,C,D', n: '0,32,64', gb: '0,2', k: '1,3' };
const FULL_FOOTPRINT = { minutes: '10', clients: '20', interval: '1000' };
/** The tabs of each setup in the per-update measurement: the goal case's K. */
const UPDATES_TABS = 3;

const HELP = `npm run bench:ui -- [options]

Grid (defaults: the full grid, about 30 min, written to docs/benchmarks/):
  --setups A1,A2,B,C,D which setups (A1 JRU defaults, A2 JRU track_cpu_percent, B ours, C no
                       extension, D jupyterlab-resource-monitor-extension defaults)
  --n 0,32,64          sleeping children the kernel forks
  --gb 0,2             GiB of private memory the kernel fills before forking
  --k 1,3              simulated browser tabs polling
  --seconds 20         typing window (a key every --key-interval ms)
  --key-interval 50
  --goal-runs 5        runs of the goal case (GB=2, N=64, K=3) per setup; its ratios use medians
  --updates 300        then the server CPU per status-bar update: one idle server per setup
                       (and C's as the baseline) side by side, K=3 tabs each, until the tabs
                       had this many updates (0: skip)
  --quick              one small case per setup (GB=0, N=32, K=1, 5 s; --updates 15)
  --out DIR            where ui.md, ui-results.json and ui-echo-p99.png go (footprint:
                       footprint.md, footprint-results.json); default docs/benchmarks for
                       the full grid or the default footprint, a temp dir otherwise
Our wheel:
  --wheel PATH         install this wheel (default: one built from the working tree, ~2 min)
  --upgrade-venv       pip install --upgrade the PyPI packages of bench/.venv
Re-render:
  --render JSON        rewrite ui.md and the plot from a ui-results.json (beside it, or --out)
Footprint mode:
  --footprint          run the sidecar alone, as our wheel launches it, with WebSocket clients
  --minutes 10 --clients 20 --interval 1000
`;

function list(value: string): number[] {
  return value.split(',').map(item => {
    const number = Number(item);
    if (!Number.isInteger(number) || number < 0) throw new Error(`not a non-negative integer: ${item}`);
    return number;
  });
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      setups: { type: 'string', default: FULL_GRID.setups },
      n: { type: 'string', default: FULL_GRID.n },
      gb: { type: 'string', default: FULL_GRID.gb },
      k: { type: 'string', default: FULL_GRID.k },
      seconds: { type: 'string', default: '20' },
      'key-interval': { type: 'string', default: '50' },
      // A p99 of 400 keys is the 4th-slowest key: on a ~5 ms baseline one run's p99 moves by
      // a few ms either way, so the goal ratios rest on the median of several runs.
      'goal-runs': { type: 'string', default: '5' },
      updates: { type: 'string', default: '300' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      wheel: { type: 'string' },
      'upgrade-venv': { type: 'boolean', default: false },
      footprint: { type: 'boolean', default: false },
      minutes: { type: 'string', default: '10' },
      clients: { type: 'string', default: '20' },
      interval: { type: 'string', default: '1000' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  });
  if (values.quick) Object.assign(values, { n: '32', gb: '0', k: '1', seconds: '5', updates: '15' });
  const names = values.setups.split(',') as SetupName[];
  const unknown = names.filter(name => !SETUP_NAMES.includes(name));
  if (unknown.length > 0)
    throw new Error(`unknown setup ${unknown.join(', ')} (choose from ${SETUP_NAMES.join(', ')})`);
  // Only a run with the published parameters overwrites the published figures.
  const isFull = values.footprint
    ? (Object.keys(FULL_FOOTPRINT) as (keyof typeof FULL_FOOTPRINT)[]).every(key => values[key] === FULL_FOOTPRINT[key])
    : !values.quick &&
      (Object.keys(FULL_GRID) as (keyof typeof FULL_GRID)[]).every(key => values[key] === FULL_GRID[key]);
  return {
    ...values,
    setupNames: names,
    ns: list(values.n),
    gbs: list(values.gb),
    ks: list(values.k).filter(k => k > 0),
    goalRuns: Math.max(1, Number(values['goal-runs'])),
    updateCount: list(values.updates)[0] ?? 0,
    timing: {
      seconds: Number(values.seconds),
      keyIntervalMs: Number(values['key-interval']),
      warmupMs: 2000
    } as Timing,
    renderOut: values.out ?? (values.render ? dirname(resolve(values.render)) : undefined),
    out: values.out ?? (isFull ? join(REPO_ROOT, 'docs', 'benchmarks') : join(tmpdir(), 'bench-ui'))
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  if (options.render) {
    // Same figures, current presentation: ui.md and the plot from an earlier run's JSON.
    const report = JSON.parse(readFileSync(options.render, 'utf8')) as Report;
    writeReport(report, options.renderOut!, join(VENV_DIR, 'bin', 'python'));
    console.log(
      `${goalLines(report.results).join('\n')}\n${updateGoalLines(report.updates ?? []).join('\n')}\n` +
        `written to ${options.renderOut}`
    );
    return;
  }
  const command = ['npm run bench:ui', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const venv = prepareVenv(REPO_ROOT, {
    needWheel: options.footprint || options.setupNames.includes('B'),
    wheel: options.wheel ? resolve(options.wheel) : null,
    upgrade: options['upgrade-venv']
  });
  if (options.footprint) {
    await runFootprint(REPO_ROOT, {
      command,
      minutes: Number(options.minutes),
      clients: Number(options.clients),
      intervalMs: Number(options.interval),
      python: venv.python,
      out: options.out
    });
    return;
  }
  const all = setups(REPO_ROOT);
  const report: Report = {
    command,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
    machine: describeMachine(),
    loadAtEnd: [],
    timing: options.timing,
    setups: options.setupNames.map(name => all[name]),
    versions: venv.versions,
    wheel: venv.wheel,
    results: [],
    updates: [],
    failures: []
  };
  // Setups innermost: the setups of a case run back to back under similar background load.
  // The goal case is then repeated, so that its ratios rest on medians, not on one sample.
  const grid = options.gbs.flatMap(gb => options.ns.flatMap(n => options.ks.map(k => ({ gb, n, k, run: 1 }))));
  const hasGoalCase = grid.some(c => c.gb === GOAL_CASE.gb && c.n === GOAL_CASE.n && c.k === GOAL_CASE.k);
  const repeats = hasGoalCase
    ? Array.from({ length: options.goalRuns - 1 }, (_, i) => ({ ...GOAL_CASE, run: i + 2 }))
    : [];
  const plan = [...grid, ...repeats].flatMap(params => options.setupNames.map(name => ({ name, params })));
  const started = Date.now();
  for (const [index, { name, params }] of plan.entries()) {
    const { gb, n, k, run } = params;
    process.stdout.write(
      `[${index + 1}/${plan.length}] (${name}) GB=${gb} N=${n} K=${k}${run > 1 ? ` run ${run}` : ''} ... `
    );
    try {
      const result: CaseResult = await runCase(all[name], params, options.timing, venv);
      report.results.push(result);
      const lost = result.echo.lost > 0 ? ` (${result.echo.lost} keys lost)` : '';
      console.log(`echo p99 ${result.echo.p99.toFixed(1)} ms${lost}, server CPU ${result.serverCpu.toFixed(2)} s`);
    } catch (error) {
      const message = (error as Error).message;
      report.failures.push({ setup: name, ...params, error: message });
      console.log(`FAILED: ${message}`);
    }
  }
  const fed = options.setupNames.filter(name => name !== 'C').map(name => all[name]);
  if (options.updateCount > 0 && fed.length > 0) {
    process.stdout.write(
      `server CPU per update: ${fed.map(s => s.name).join(', ')} beside C, until ${options.updateCount} updates ... `
    );
    try {
      report.updates = await runUpdates(fed, all.C, { k: UPDATES_TABS, updates: options.updateCount }, venv);
      console.log(`${report.updates[0].windowSeconds.toFixed(0)} s`);
    } catch (error) {
      const message = (error as Error).message;
      report.failures.push({ setup: 'C', gb: 0, n: 0, k: UPDATES_TABS, run: 0, error: `updates: ${message}` });
      console.log(`FAILED: ${message}`);
    }
  }
  report.loadAtEnd = loadavg().map(value => Math.round(value * 100) / 100);
  console.log(
    `\n${tableRows(report.results).join('\n')}\n\n${goalLines(report.results).join('\n')}\n\n` +
      `${updateRows(report.updates ?? []).join('\n')}\n\n${updateGoalLines(report.updates ?? []).join('\n')}`
  );
  writeReport(report, options.out, venv.python);
  console.log(
    `\n${plan.length} cases in ${((Date.now() - started) / 60_000).toFixed(1)} min; written to ${options.out}`
  );
  if (report.failures.length > 0) process.exitCode = 1;
}

/** Ctrl-C or kill: tear down every server (and what it started) before leaving. */
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping servers ...`);
    void stopAllServers().finally(() => process.exit(130));
  });
}

main()
  .catch(error => {
    console.error((error as Error).message);
    process.exitCode = 1;
  })
  .finally(() => stopAllServers());
