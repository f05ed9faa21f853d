/**
 * Times the sidecar's per-sample work in-process: createReader() as the CLI makes it, then
 * reader.read() many times against the cgroup this process runs in (the benchmark starts it
 * inside the workload's cgroup). Prints one JSON line: the median and what the last read saw.
 *
 * Usage: tsx bench/sample/time-reader.ts [READS]
 */
import { createReader } from '../../sidecar/src/reader.js';

const WARM_UP_READS = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(reads: number): Promise<void> {
  const reader = createReader({ procRoot: '/proc', sysRoot: '/sys', diskPath: process.cwd(), env: {} });
  for (let i = 0; i < WARM_UP_READS; i++) {
    await reader.read();
  }
  const micros: number[] = [];
  for (let i = 0; i < reads; i++) {
    const start = process.hrtime.bigint();
    await reader.read();
    micros.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  const last = await reader.read();
  process.stdout.write(
    `${JSON.stringify({
      medianMicros: median(micros),
      reads,
      source: last.source,
      workingSet: last.memory.used,
      errors: last.errors
    })}\n`
  );
}

void main(Number(process.argv[2] ?? 2000));
