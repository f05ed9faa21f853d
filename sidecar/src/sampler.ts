/**
 * The sampler: the only caller of the reader. One timer reads the cgroup files once per
 * interval, turns two consecutive Readings into a Sample (CPU in use and throttling come
 * from counter deltas), caches the latest Sample and keeps a bounded history. Everything
 * the server answers comes from this cache, so N clients cost what one costs.
 */
import type { Sample } from '../../src/sample.js';
import { HistoryRing } from './historyRing.js';
import type { Reader, Reading } from './reading.js';

/** A Reading with the monotonic time (seconds) at which the read started. */
export interface TimedReading {
  reading: Reading;
  monotonicSeconds: number;
}

export type SampleListener = (sample: Sample) => void;

/** History kept: at least one hour whatever the interval, within MAX_HISTORY_SAMPLES. */
export const HISTORY_SECONDS = 3600;
/** Bounds the memory of very short intervals (36,000 samples, 8 bytes per number each in the ring). */
const MAX_HISTORY_SAMPLES = 36_000;
/**
 * CPU in use needs two readings. The second comes this soon after the first (not a whole
 * interval later), so a client's first request after the sidecar starts gets a CPU figure.
 */
export const CPU_WINDOW_MS = 250;

function monotonicSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Reads once and notes when: the start of the read is what the counters belong to. */
export async function timedRead(reader: Reader): Promise<TimedReading> {
  const start = monotonicSeconds();
  return { reading: await reader.read(), monotonicSeconds: start };
}

/** Δcounter / Δbase, or null when either side is unknown, the base did not move or a counter went back. */
function rate(
  previous: number | null | undefined,
  current: number | null,
  basePrevious: number | null | undefined,
  baseCurrent: number | null
): number | null {
  if (previous == null || current === null || basePrevious == null || baseCurrent === null) {
    return null;
  }
  const delta = current - previous;
  const base = baseCurrent - basePrevious;
  if (base <= 0 || delta < 0) {
    return null;
  }
  return delta / base;
}

/**
 * Builds the Sample for `current`. `previous` is the reading before it (null for the first):
 * cpu.used = Δ usageSeconds / Δ elapsed seconds, throttledRatio = Δ nr_throttled / Δ nr_periods.
 */
export function toSample(previous: TimedReading | null, current: TimedReading, timestamp: number): Sample {
  const cpu = current.reading.cpu;
  const before = previous?.reading.cpu;
  const throttledRatio = rate(before?.throttledPeriods, cpu.throttledPeriods, before?.periods, cpu.periods);
  return {
    version: 1,
    timestamp,
    ...current.reading,
    cpu: {
      ...cpu,
      used: rate(before?.usageSeconds, cpu.usageSeconds, previous?.monotonicSeconds, current.monotonicSeconds),
      throttledRatio: throttledRatio === null ? null : Math.min(throttledRatio, 1)
    }
  };
}

/** Number of samples that cover HISTORY_SECONDS at this interval. */
export function historyCapacity(intervalMs: number): number {
  return Math.min(MAX_HISTORY_SAMPLES, Math.ceil((HISTORY_SECONDS * 1000) / intervalMs) + 1);
}

export class Sampler {
  readonly intervalMs: number;
  private readonly reader: Reader;
  private readonly ring: HistoryRing;
  private readonly listeners = new Set<SampleListener>();
  private timer: NodeJS.Timeout | null = null;
  private secondReading: NodeJS.Timeout | null = null;
  private reading = false;
  private previous: TimedReading | null = null;
  private latestSample: Sample | null = null;
  private wanted: (now: number) => boolean = () => true;

  constructor(reader: Reader, intervalMs: number) {
    this.reader = reader;
    this.intervalMs = intervalMs;
    this.ring = new HistoryRing(historyCapacity(intervalMs));
  }

  /** Takes a first reading at once, a second after CPU_WINDOW_MS, then one per interval. */
  start(): void {
    if (this.timer !== null) {
      return;
    }
    // The server keeps the process alive; the timers alone should not.
    this.timer = setInterval(() => void this.tick(), this.intervalMs).unref();
    if (this.intervalMs > CPU_WINDOW_MS) {
      this.secondReading = setTimeout(() => void this.tick(), CPU_WINDOW_MS).unref();
    }
    void this.tick();
  }

  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (this.secondReading !== null) {
      clearTimeout(this.secondReading);
      this.secondReading = null;
    }
  }

  /** The latest sample, or null before the first read has finished. */
  latest(): Sample | null {
    return this.latestSample;
  }

  /**
   * The sequence numbers [first, end) of the cached samples of the last `seconds` seconds,
   * oldest first. Read them with historyJson(): one overwritten meanwhile reads as undefined.
   */
  historyRange(seconds: number): { first: number; end: number } {
    return { first: this.ring.firstFrom(Date.now() - seconds * 1000), end: this.ring.next };
  }

  /** The JSON text of the cached sample `sequence`, or undefined once it has been overwritten. */
  historyJson(sequence: number): string | undefined {
    return this.ring.json(sequence);
  }

  /**
   * Lets the consumers say whether a tick should read: when `wanted(now)` is false the tick is
   * skipped (the stream's clients all asked for a longer interval and none is due yet), which
   * saves the reading's CPU. By default every tick reads.
   */
  readWhen(wanted: (now: number) => boolean): void {
    this.wanted = wanted;
  }

  /** Calls `listener` with every new sample; returns the function that unsubscribes it. */
  onSample(listener: SampleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One read; a tick that finds the previous read still running is skipped, so reads never overlap. */
  private async tick(): Promise<void> {
    if (this.reading || (this.latestSample !== null && !this.wanted(Date.now()))) {
      return;
    }
    this.reading = true;
    let current: TimedReading;
    try {
      current = await timedRead(this.reader);
    } catch (error) {
      // Readers do not throw by contract; if one does, keep serving the last sample.
      process.stderr.write(`cgroup-usage-sidecar: read failed: ${String(error)}\n`);
      return;
    } finally {
      this.reading = false;
    }
    const sample = toSample(this.previous, current, Date.now());
    this.previous = current;
    this.latestSample = sample;
    this.ring.push(sample, sample.timestamp);
    for (const listener of this.listeners) {
      listener(sample);
    }
  }
}
