/**
 * A scripted Reader for the sampler and server unit tests: each read() returns the next
 * Reading, whose cumulative counters advance by fixed steps, and can be held open to
 * simulate a slow read. The CLI and real-cgroup tests use the real reader instead.
 */
import type { Reader, Reading } from '../../sidecar/src/reading.js';

export const MiB = 1024 * 1024;

/** A plausible cgroup-v1 Reading; `step` drives the cumulative counters. */
export function fakeReading(step: number): Reading {
  return {
    source: 'cgroup-v1',
    memory: {
      used: 300 * MiB + step,
      usage: 400 * MiB,
      cache: 100 * MiB,
      limit: 512 * MiB,
      limitSource: 'cgroup',
      swap: 0,
      oomKills: 2
    },
    cpu: {
      limit: 0.5,
      limitSource: 'cgroup',
      hostCpus: 2,
      usageSeconds: 10 + step * 0.25,
      periods: 100 + step * 10,
      throttledPeriods: 5 + step * 2,
      throttledSeconds: 0.5 + step * 0.125
    },
    pids: { current: 7, max: 4096 },
    pressure: {
      cpu: { some: { avg10: 1.5, avg60: 0.5, avg300: 0.25, total: 2_000_000 }, full: null },
      memory: null,
      io: null,
      scope: 'cgroup'
    },
    disk: { path: '/home/jovyan', used: 1000, total: 4000 },
    errors: ['pids.max: unreadable']
  };
}

export class FakeReader implements Reader {
  reads = 0;
  active = 0;
  maxActive = 0;
  private held: (() => void) | null = null;
  private holding = false;

  /** Makes the next read wait until release() is called. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    this.held?.();
    this.held = null;
  }

  async read(): Promise<Reading> {
    const step = this.reads++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    if (this.holding) {
      await new Promise<void>(resolve => (this.held = resolve));
    }
    this.active--;
    return fakeReading(step);
  }
}
