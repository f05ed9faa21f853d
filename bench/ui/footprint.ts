/**
 * `npm run bench:ui -- --footprint`: the sidecar alone, launched exactly as the installed
 * wheel's jupyter-server-proxy entry launches it (same node, flags and Unix socket), sampling
 * every --interval ms with --clients WebSocket clients on /api/v1/stream for --minutes; its
 * CPU share of one core and its RSS over time. Goals: CPU ≤ 0.5 %, RSS ≤ 60 MB, no growth.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { sidecarCommand } from '../../test/helpers/sidecar.js';
import { describeMachine, machineMarkdown } from './machine.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { leastSquaresSlope, median } from './stats.js';

const LISTENING = /listening on unix:/;
const SAMPLE_EVERY_MS = 5_000;
/** Startup, JIT and the first GCs are not the steady state the goals are about. */
const WARMUP_MS = 30_000;
const CPU_GOAL_PERCENT = 0.5;
const RSS_GOAL_BYTES = 60 * 2 ** 20;
/**
 * RSS "grew" if the last quarter's median exceeds the first quarter's by more than this:
 * about the size of a V8 garbage-collection sawtooth, so that only a trend counts.
 */
const GROWTH_TOLERANCE_BYTES = 2 * 2 ** 20;

export interface FootprintOptions {
  /** How the run was started, quoted in the report. */
  command: string;
  minutes: number;
  clients: number;
  intervalMs: number;
  /** The Python of the venv our wheel is installed in: it names the command that starts the sidecar. */
  python: string;
  out: string;
}

export async function runFootprint(repoRoot: string, options: FootprintOptions): Promise<void> {
  const command = sidecarCommand(options.python);
  const socketDir = mkdtempSync(join(tmpdir(), 'bench-footprint-'));
  const socket = join(socketDir, 'sidecar.sock');
  const [node, ...args] = [
    ...command.map(arg => arg.replace('{unix_socket}', socket)),
    '--interval',
    String(options.intervalMs)
  ];
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  const sidecar = spawn(node, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const stopSidecar = (): void => {
    if (sidecar.exitCode === null) sidecar.kill('SIGKILL');
  };
  process.once('exit', stopSidecar);
  const clients: WebSocket[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`the sidecar did not listen within 30 s: ${output}`)), 30_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (LISTENING.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      sidecar.stdout.on('data', onData);
      sidecar.stderr.on('data', onData);
      sidecar.once('exit', code => reject(new Error(`the sidecar exited with ${code}: ${output}`)));
    });

    const received = new Array<number>(options.clients).fill(0);
    for (let i = 0; i < options.clients; i++) {
      const client = new WebSocket(`ws+unix://${socket}:/api/v1/stream`);
      client.on('message', () => received[i]++);
      client.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        client.once('open', () => resolve());
        client.once('error', reject);
      });
      clients.push(client);
    }

    console.log(
      `${[node, ...args].join(' ')}: pid ${sidecar.pid}, ${options.clients} clients; warm-up ${WARMUP_MS / 1000} s ...`
    );
    await sleep(WARMUP_MS);
    const pid = sidecar.pid!;
    const machine = describeMachine();
    const startWall = performance.now();
    const startCpu = cpuSeconds(pid)!;
    const startReceived = received.reduce((a, b) => a + b, 0);
    const samples: { seconds: number; rss: number }[] = [];
    const endAt = startWall + options.minutes * 60_000;
    while (performance.now() < endAt) {
      const rss = rssBytes(pid);
      if (rss === null) throw new Error('the sidecar exited during the run');
      samples.push({ seconds: (performance.now() - startWall) / 1000, rss });
      await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, endAt - performance.now())));
    }
    const wallSeconds = (performance.now() - startWall) / 1000;
    const cpuPercent = ((cpuSeconds(pid)! - startCpu) / wallSeconds) * 100;
    samples.push({ seconds: wallSeconds, rss: rssBytes(pid)! });
    const messages = received.reduce((a, b) => a + b, 0) - startReceived;

    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const growth = median(samples.slice(-quarter).map(s => s.rss)) - median(samples.slice(0, quarter).map(s => s.rss));
    const maxRss = Math.max(...samples.map(s => s.rss));
    const slope = leastSquaresSlope(samples.map(s => [s.seconds, s.rss])) * 3600;
    const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    const lines = [
      '# Sidecar footprint (`npm run bench:ui -- --footprint`)',
      '',
      `Command: \`${options.command}\``,
      '',
      ...machineMarkdown(machine),
      '',
      'The sidecar as the installed wheel launches it (`serverproxy.sidecar_command()`, plus `--interval`):',
      `\`${[node, ...args].join(' ')}\` (Node.js ${nodeVersion}), with ${options.clients}`,
      `WebSocket clients on /api/v1/stream, measured for ${(wallSeconds / 60).toFixed(1)} min after ${WARMUP_MS / 1000} s of warm-up;`,
      `RSS sampled every ${SAMPLE_EVERY_MS / 1000} s. The clients received ${messages} messages`,
      `(${(messages / options.clients / wallSeconds).toFixed(2)} per client per second).`,
      '',
      '| figure | value | goal |',
      '|---|---|---|',
      `| CPU, % of one core | ${cpuPercent.toFixed(2)} | ≤ ${CPU_GOAL_PERCENT} (${cpuPercent <= CPU_GOAL_PERCENT ? 'met' : 'NOT met'}) |`,
      `| RSS at start / end / max, MB | ${mb(samples[0].rss)} / ${mb(samples[samples.length - 1].rss)} / ${mb(maxRss)} | max ≤ 60 (${maxRss <= RSS_GOAL_BYTES ? 'met' : 'NOT met'}) |`,
      `| RSS growth (median of last quarter − first quarter), MB | ${mb(growth)} | none, ≤ ${mb(GROWTH_TOLERANCE_BYTES)} (${growth <= GROWTH_TOLERANCE_BYTES ? 'met' : 'NOT met'}) |`,
      `| RSS trend (least-squares slope), MB per hour | ${mb(slope)} | – |`,
      ''
    ];
    console.log(`\n${lines.join('\n')}`);
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'footprint.md'), lines.join('\n'));
    const results = {
      machine,
      options,
      command: [node, ...args],
      nodeVersion,
      cpuPercent,
      wallSeconds,
      messages,
      growth,
      slopePerHour: slope,
      samples
    };
    writeFileSync(join(options.out, 'footprint-results.json'), JSON.stringify(results, null, 2) + '\n');
    console.log(`written to ${options.out}`);
  } finally {
    for (const client of clients) client.terminate();
    stopSidecar();
    rmSync(socketDir, { recursive: true, force: true });
  }
}
