/**
 * `npm run bench:soak`: the sidecar as the installed wheel launches it (serverproxy's node and
 * flags, plus --trace-gc) for a long time at a short interval: by default 75 min at
 * `--interval 50`, 90,000 samples, what 25 h take at the usual 1 s. Load: WebSocket clients on
 * /api/v1/stream, the whole /api/v1/history every 30 s, /api/v1/metrics every second (timed).
 * Every 10 s: RSS and open fds from /proc, V8's heap after the latest GC and after the latest
 * full GC (from --trace-gc on stdout, which the sidecar leaves empty; nothing is added to its
 * API). Slopes are fitted from the moment the history ring is full.
 * Needs the wheel in .venv (scripts/setup.sh). Options: --minutes, --interval, --clients, --out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { HistoryResponse } from '../../src/sample.js';
import { historyCapacity } from '../../sidecar/src/sampler.js';
import { sidecarCommand } from '../../test/helpers/sidecar.js';
import { mb, openFds, ROOT, startSidecar, timedGet } from '../sidecarProcess.js';
import { describeMachine, machineMarkdown } from '../ui/machine.js';
import { rssBytes } from '../ui/proc.js';
import { leastSquaresSlope, max, percentile } from '../ui/stats.js';

const POINT_EVERY_MS = 10_000;
const HISTORY_EVERY_MS = 30_000;
const METRICS_EVERY_MS = 1_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** A --trace-gc line: `... Scavenge 5.1 (7.0) -> 4.3 (7.5) MB, ...`: the kind, then the heap used after it. */
const GC_LINE =
  /: (Scavenge|Minor Mark-Sweep|Mark-Compact(?: \(reduce\))?|Mark-Sweep(?:-Compact)?)\b[^\n]*? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

interface Point {
  seconds: number;
  rssMiB: number;
  fds: number;
  /** V8 heap used after the latest GC of any kind, MB as V8 prints it; null before the first. */
  heapAfterGcMB: number | null;
  /** After the latest full GC: where retained objects (a leak) show. */
  heapAfterFullGcMB: number | null;
  historySamples: number | null;
  historyMiB: number | null;
}

function slopePerHour(points: Point[], value: (point: Point) => number | null): number | null {
  const pairs = points.flatMap((point): [number, number][] => {
    const y = value(point);
    return y === null ? [] : [[point.seconds, y]];
  });
  return pairs.length < 2 ? null : Math.round(leastSquaresSlope(pairs) * 3600 * 10) / 10;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '75' },
      interval: { type: 'string', default: '50' },
      clients: { type: 'string', default: '20' },
      out: { type: 'string', default: join(ROOT, 'docs/benchmarks') }
    }
  });
  const minutes = Number(values.minutes);
  const intervalMs = Number(values.interval);
  const clientCount = Number(values.clients);
  const out = resolve(values.out!);
  const capacity = historyCapacity(intervalMs);
  const ringFullSeconds = (capacity * intervalMs) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  const socket = join(dir, 'sidecar.sock');
  const [node, ...rest] = sidecarCommand().map(arg => arg.replace('{unix_socket}', socket));
  const command = [node, '--trace-gc', ...rest, '--interval', String(intervalMs)];
  console.log(
    `soak: ${command.join(' ')} for ${minutes} min, ${clientCount} WebSocket clients; the ring (${capacity}) is full after ${(ringFullSeconds / 60).toFixed(1)} min`
  );

  let heapAfterGcMB: number | null = null;
  let heapAfterFullGcMB: number | null = null;
  let partialLine = '';
  const sidecar = await startSidecar(command, {
    onStdout: chunk => {
      const lines = (partialLine + chunk).split('\n');
      partialLine = lines.pop()!;
      for (const line of lines) {
        const match = GC_LINE.exec(line);
        if (!match) continue;
        heapAfterGcMB = Number(match[2]);
        if (match[1].startsWith('Mark')) heapAfterFullGcMB = heapAfterGcMB;
      }
    }
  });
  const pid = sidecar.pid!;
  let messages = 0;
  const clients = Array.from({ length: clientCount }, () => {
    const client = new WebSocket(`ws+unix://${socket}:/api/v1/stream`);
    client.on('message', () => messages++);
    client.on('error', () => undefined);
    return client;
  });

  const start = performance.now();
  const end = start + minutes * 60_000;
  const running = () => performance.now() < end;
  const metricsMs: number[] = [];
  const historyMs: number[] = [];
  let metricsFailed = 0;
  let historyFailed = 0;
  let history: { samples: number; mib: number } | null = null;
  const metricsLoop = (async () => {
    while (running()) {
      const answer = await timedGet(socket, '/api/v1/metrics', REQUEST_TIMEOUT_MS);
      if (answer === null) metricsFailed++;
      else metricsMs.push(answer.ms);
      await sleep(METRICS_EVERY_MS);
    }
  })();
  const historyLoop = (async () => {
    while (running()) {
      await sleep(HISTORY_EVERY_MS);
      const answer = await timedGet(socket, '/api/v1/history', REQUEST_TIMEOUT_MS);
      if (answer === null) {
        historyFailed++;
        continue;
      }
      historyMs.push(answer.ms);
      history = { samples: (JSON.parse(answer.body) as HistoryResponse).samples.length, mib: answer.bytes / 2 ** 20 };
    }
  })();
  const points: Point[] = [];
  try {
    while (running()) {
      const rss = rssBytes(pid);
      if (rss === null || sidecar.exitCode !== null) throw new Error('the sidecar exited during the soak');
      const h = history as { samples: number; mib: number } | null;
      const point: Point = {
        seconds: Math.round((performance.now() - start) / 1000),
        rssMiB: mb(rss),
        fds: openFds(pid),
        heapAfterGcMB,
        heapAfterFullGcMB,
        historySamples: h?.samples ?? null,
        historyMiB: h === null ? null : Math.round(h.mib * 100) / 100
      };
      points.push(point);
      console.log(JSON.stringify(point));
      await sleep(Math.max(0, Math.min(POINT_EVERY_MS, end - performance.now())));
    }
    await Promise.all([metricsLoop, historyLoop]);
  } finally {
    clients.forEach(client => client.terminate());
    sidecar.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }

  const wallSeconds = (performance.now() - start) / 1000;
  const ringFull = wallSeconds > ringFullSeconds + 5 * 60;
  // A run too short to see the full ring for 5 min fits its second half instead.
  const steadyFrom = ringFull ? ringFullSeconds : wallSeconds / 2;
  const steady = points.filter(point => point.seconds >= steadyFrom);
  const slopes = {
    rssMiBPerHour: slopePerHour(steady, p => p.rssMiB),
    heapAfterGcMBPerHour: slopePerHour(steady, p => p.heapAfterGcMB),
    heapAfterFullGcMBPerHour: slopePerHour(steady, p => p.heapAfterFullGcMB),
    fdsPerHour: slopePerHour(steady, p => p.fds)
  };
  const spread = (value: (point: Point) => number | null): string => {
    const numbers = steady.map(value).filter((v): v is number => v !== null);
    return numbers.length === 0 ? '–' : `${Math.min(...numbers)} – ${Math.max(...numbers)}`;
  };
  const first = points[0];
  const last = points[points.length - 1];
  const ms = (values: number[], p: number): string => (values.length === 0 ? '–' : percentile(values, p).toFixed(1));
  const samples = Math.round((wallSeconds * 1000) / intervalMs);
  const lines = [
    '# Sidecar soak (`npm run bench:soak`)',
    '',
    `Command: \`npm run bench:soak -- --minutes ${minutes} --interval ${intervalMs} --clients ${clientCount}\``,
    '',
    ...machineMarkdown(describeMachine()),
    '',
    `The sidecar as the wheel launches it, plus \`--trace-gc\`: \`${command.join(' ')}\`,`,
    `for ${(wallSeconds / 60).toFixed(1)} min: ${samples} samples, ${(samples / 3600).toFixed(1)} h of samples at the default 1 s.`,
    `Load: ${clientCount} WebSocket clients (${messages} messages received), the whole history every ${HISTORY_EVERY_MS / 1000} s,`,
    `/api/v1/metrics every ${METRICS_EVERY_MS / 1000} s. RSS and fds from /proc every ${POINT_EVERY_MS / 1000} s; heap = V8's heap used`,
    'after the latest GC, and after the latest full (mark-sweep/compact) GC, as `--trace-gc` prints it.',
    ringFull
      ? `"Steady" = from ${(ringFullSeconds / 60).toFixed(0)} min on, when the history ring (${capacity} samples) is full; slopes are least-squares over it.`
      : `This run was too short for a full ring (${capacity} samples at ${(ringFullSeconds / 60).toFixed(0)} min): "steady" is its second half.`,
    '',
    '| figure | start | end | steady (min – max) | steady slope per hour |',
    '|---|---|---|---|---|',
    `| RSS, MiB | ${first.rssMiB} | ${last.rssMiB} | ${spread(p => p.rssMiB)} | ${slopes.rssMiBPerHour} |`,
    `| heap after a GC, MB | ${first.heapAfterGcMB ?? '–'} | ${last.heapAfterGcMB ?? '–'} | ${spread(p => p.heapAfterGcMB)} | ${slopes.heapAfterGcMBPerHour ?? '–'} |`,
    `| heap after a full GC, MB | ${first.heapAfterFullGcMB ?? '–'} | ${last.heapAfterFullGcMB ?? '–'} | ${spread(p => p.heapAfterFullGcMB)} | ${slopes.heapAfterFullGcMBPerHour ?? '–'} |`,
    `| open fds | ${first.fds} | ${last.fds} | ${spread(p => p.fds)} | ${slopes.fdsPerHour} |`,
    `| history answer, samples | ${first.historySamples ?? '–'} | ${last.historySamples ?? '–'} | ${spread(p => p.historySamples)} | – |`,
    `| history answer, MiB | ${first.historyMiB ?? '–'} | ${last.historyMiB ?? '–'} | ${spread(p => p.historyMiB)} | – |`,
    '',
    '| request | answered | failed | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
    `| /api/v1/metrics | ${metricsMs.length} | ${metricsFailed} | ${ms(metricsMs, 50)} | ${ms(metricsMs, 99)} | ${max(metricsMs).toFixed(1)} |`,
    `| /api/v1/history | ${historyMs.length} | ${historyFailed} | ${ms(historyMs, 50)} | ${ms(historyMs, 99)} | ${max(historyMs).toFixed(1)} |`,
    ''
  ];
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'soak.md'), lines.join('\n'));
  const results = {
    command,
    minutes,
    intervalMs,
    clientCount,
    wallSeconds,
    ringFullSeconds,
    ringFull,
    slopes,
    messages,
    metricsMs,
    historyMs,
    metricsFailed,
    historyFailed,
    points
  };
  writeFileSync(join(out, 'soak-results.json'), `${JSON.stringify(results)}\n`);
  console.log(`\n${lines.join('\n')}\nwritten to ${join(out, 'soak.md')} and soak-results.json`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
