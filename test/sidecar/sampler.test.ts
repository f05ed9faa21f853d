import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Sample } from '../../src/sample.js';
import {
  CPU_WINDOW_MS,
  HISTORY_SECONDS,
  Sampler,
  historyCapacity,
  toSample,
  type TimedReading
} from '../../sidecar/src/sampler.js';
import { FakeReader, fakeReading } from '../helpers/fake-reader.js';

function timed(step: number, monotonicSeconds: number): TimedReading {
  return { reading: fakeReading(step), monotonicSeconds };
}

function nextSample(sampler: Sampler): Promise<Sample> {
  return new Promise(resolve => {
    const unsubscribe = sampler.onSample(sample => {
      unsubscribe();
      resolve(sample);
    });
  });
}

/** The cached samples of the last `seconds` seconds, parsed back from the ring's JSON. */
function history(sampler: Sampler, seconds: number): Sample[] {
  const { first, end } = sampler.historyRange(seconds);
  const samples: Sample[] = [];
  for (let sequence = first; sequence < end; sequence++) {
    samples.push(JSON.parse(sampler.historyJson(sequence) as string) as Sample);
  }
  return samples;
}

describe('toSample', () => {
  it('leaves cpu.used and throttledRatio null on the first reading', () => {
    const sample = toSample(null, timed(0, 100), 1234);
    assert.equal(sample.version, 1);
    assert.equal(sample.timestamp, 1234);
    assert.equal(sample.cpu.used, null);
    assert.equal(sample.cpu.throttledRatio, null);
    assert.equal(sample.cpu.usageSeconds, 10);
  });

  it('derives CPU in use and the throttled ratio from two readings', () => {
    // Steps 0 -> 4: usage +1 s over 2 s of wall time; periods +40, throttled +8.
    const sample = toSample(timed(0, 100), timed(4, 102), 5);
    assert.equal(sample.cpu.used, 0.5);
    assert.equal(sample.cpu.throttledRatio, 0.2);
  });

  it('copies every other field of the reading, the cumulative period counters included', () => {
    const sample = toSample(timed(0, 1), timed(1, 2), 7);
    const { cpu, ...rest } = fakeReading(1);
    assert.deepEqual({ ...sample, cpu: undefined }, { version: 1, timestamp: 7, ...rest, cpu: undefined });
    assert.deepEqual(Object.keys(sample.cpu).sort(), [
      'hostCpus',
      'limit',
      'limitSource',
      'periods',
      'throttledPeriods',
      'throttledRatio',
      'throttledSeconds',
      'usageSeconds',
      'used'
    ]);
    assert.equal(sample.cpu.limit, cpu.limit);
    assert.equal(sample.cpu.periods, cpu.periods);
    assert.equal(sample.cpu.throttledPeriods, cpu.throttledPeriods);
  });

  it('gives no throttled ratio when no period elapsed or the counters are unknown', () => {
    const still = timed(1, 2);
    still.reading.cpu.periods = 100;
    const before = timed(0, 1);
    assert.equal(toSample(before, still, 0).cpu.throttledRatio, null);
    const unknown = timed(1, 2);
    unknown.reading.cpu.periods = null;
    unknown.reading.cpu.throttledPeriods = null;
    assert.equal(toSample(before, unknown, 0).cpu.throttledRatio, null);
  });

  it('gives no CPU in use when usage is unknown or went backwards', () => {
    const unknown = timed(1, 2);
    unknown.reading.cpu.usageSeconds = null;
    assert.equal(toSample(timed(0, 1), unknown, 0).cpu.used, null);
    assert.equal(toSample(timed(5, 1), timed(1, 2), 0).cpu.used, null);
  });
});

describe('historyCapacity', () => {
  it('covers at least an hour at 1 s and scales with the interval', () => {
    assert.ok(historyCapacity(1000) * 1 >= HISTORY_SECONDS);
    assert.ok(historyCapacity(5000) * 5 >= HISTORY_SECONDS);
    assert.ok(historyCapacity(5000) < historyCapacity(1000));
  });
});

describe('Sampler', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('has no sample before the first read, then caches the latest and notifies listeners', async () => {
    const reader = new FakeReader();
    const sampler = new Sampler(reader, 1000);
    assert.equal(sampler.latest(), null);
    const first = nextSample(sampler);
    sampler.start();
    const sample = await first;
    assert.equal(sampler.latest(), sample);
    assert.equal(sample.cpu.used, null);
    // The second reading comes after CPU_WINDOW_MS, not a whole interval: CPU is known early.
    const second = nextSample(sampler);
    mock.timers.tick(CPU_WINDOW_MS);
    assert.equal(reader.reads, 2); // read() counts synchronously, before its sample settles
    const next = await second;
    assert.notEqual(next.cpu.used, null);
    const third = nextSample(sampler);
    mock.timers.tick(1000 - CPU_WINDOW_MS);
    assert.equal(reader.reads, 3);
    await third;
    sampler.stop();
  });

  it('never runs two reads at once when a read overruns the interval', async () => {
    const reader = new FakeReader();
    const sampler = new Sampler(reader, 100);
    reader.hold();
    const first = nextSample(sampler);
    sampler.start();
    mock.timers.tick(1000); // ten ticks while the first read is still running
    assert.equal(reader.reads, 1);
    reader.release();
    await first;
    const second = nextSample(sampler);
    mock.timers.tick(100);
    await second;
    assert.equal(reader.reads, 2);
    assert.equal(reader.maxActive, 1);
    sampler.stop();
  });

  it('stops reading after stop()', async () => {
    const reader = new FakeReader();
    const sampler = new Sampler(reader, 100);
    const first = nextSample(sampler);
    sampler.start();
    await first;
    sampler.stop();
    mock.timers.tick(1000);
    assert.equal(reader.reads, 1);
  });

  it('returns the history of the last N seconds, oldest first, bounded by its capacity', async () => {
    mock.timers.reset();
    mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_700_000_000_000 });
    const reader = new FakeReader();
    const intervalMs = 1_000_000; // a capacity of 5 samples
    const sampler = new Sampler(reader, intervalMs);
    const capacity = historyCapacity(intervalMs);
    const taken: Sample[] = [];
    sampler.onSample(sample => taken.push(sample));
    for (let i = 0; i < capacity + 3; i++) {
      const next = nextSample(sampler);
      if (i === 0) {
        sampler.start();
      } else {
        mock.timers.tick(intervalMs);
      }
      await next;
    }
    sampler.stop();
    const all = history(sampler, HISTORY_SECONDS * 1000);
    assert.equal(all.length, capacity);
    assert.deepEqual(all, taken.slice(-capacity));
    // The window is counted back from now on the samples' wall-clock timestamps.
    assert.deepEqual(history(sampler, intervalMs / 1000), taken.slice(-2));
    assert.deepEqual(history(sampler, intervalMs / 1000 - 1), taken.slice(-1));
  });
});
