/**
 * The early-warning rule over series recorded from a real sidecar in real cgroups with a
 * 512 MiB limit (test/plugin/fixtures/series, recorded by test/helpers/record-series.ts),
 * replayed as the sidecar sampled them (1 s) and as the status bar's default 5 s poll sees
 * them (every phase of the poll), plus the corner cases of the rule itself.
 */
import {
  type EarlyWarningEpisode,
  type IEarlyWarning,
  type IEarlyWarningInput,
  memoryHeadingForLimit,
  MIN_TREND_SAMPLES,
  nextEarlyWarning,
  REARM_MARGIN
} from '../../src/earlyWarning';
import type { Sample } from '../../src/sample';
import { MiB, makeSample } from './samples';
import { firstSampleAfterKill, loadSeries, polledEvery } from './series';

const THRESHOLD = 0.9;
const HORIZON = 60;

interface IReplay {
  warnings: IEarlyWarning[];
  /** Timestamps of the samples that ended a warned episode. */
  ends: number[];
}

/** Feeds `samples` one at a time, as the notifier does. */
function replay(samples: readonly Sample[], options: Partial<IEarlyWarningInput> = {}): IReplay {
  let episode: EarlyWarningEpisode = 'armed';
  const result: IReplay = { warnings: [], ends: [] };
  for (let i = 1; i <= samples.length; i++) {
    const step = nextEarlyWarning(episode, {
      history: samples.slice(0, i),
      threshold: THRESHOLD,
      horizonSeconds: HORIZON,
      ...options
    });
    episode = step.episode;
    if (step.warning) {
      result.warnings.push(step.warning);
    }
    if (step.ended) {
      result.ends.push(samples[i - 1].timestamp);
    }
  }
  return result;
}

/** The sampling a series is replayed at: the sidecar's own 1 s, and each phase of a 5 s poll. */
function samplings(samples: readonly Sample[]): { label: string; samples: Sample[] }[] {
  return [
    { label: 'every sample (1 s)', samples: [...samples] },
    ...[0, 1, 2, 3, 4].map(phase => ({
      label: `5 s poll, phase ${phase} s`,
      samples: polledEvery(samples, 5, phase)
    }))
  ];
}

describe('early warning over recorded series', () => {
  describe.each(['grower-slow', 'grower-fast'])('%s: a steady grower to the OOM kill', name => {
    const series = loadSeries(name);
    const killSeenAt = firstSampleAfterKill(series.samples)!;
    const beforeKill = (samples: readonly Sample[]) => samples.filter(s => s.timestamp < killSeenAt.timestamp);
    // The last sample before the kill: the warning must come no later than this.
    const lastBeforeKill = beforeKill(series.samples).pop()!;
    const warned: string[] = [];

    it('was recorded up to a real OOM kill', () => {
      expect(series.workloadExit).toBe('signal SIGKILL');
      expect(killSeenAt).not.toBeNull();
    });

    it.each(samplings(series.samples).map(s => [s.label, s.samples] as const))(
      'warns once before the kill if a sample came above the threshold, with a fair estimate (%s)',
      (label, samples) => {
        const { warnings, ends } = replay(samples);
        const aboveThreshold = beforeKill(samples).filter(s => s.memory.used! >= THRESHOLD * series.limitBytes);
        if (aboveThreshold.length === 0) {
          expect(warnings).toEqual([]);
          console.log(`${name}, ${label}: no sample between the threshold and the kill, no warning`);
          return;
        }
        expect(warnings).toHaveLength(1);
        const [warning] = warnings;
        expect(warning.timestamp).toBe(aboveThreshold[0].timestamp);
        const actual = (lastBeforeKill.timestamp - warning.timestamp) / 1000;
        // The trend is the cell's steady rate, so the estimate is within about a sample of the truth.
        expect(Math.abs(warning.secondsToLimit - actual)).toBeLessThan(2);
        console.log(
          `${name}, ${label}: warned ${actual.toFixed(1)} s before the last sample ahead of the kill, ` +
            `estimated ${warning.secondsToLimit.toFixed(1)} s, at ${(warning.used / MiB).toFixed(0)} MiB, ` +
            `${(warning.bytesPerSecond / MiB).toFixed(1)} MiB/s`
        );
        warned.push(label);
        // The kill ends the episode: the warning can be withdrawn, and the next climb warns again.
        expect(ends).toEqual([firstSampleAfterKill(samples)!.timestamp]);
      }
    );

    it('warns at the sidecar rate, and at every phase of the 5 s poll for the slow one', () => {
      expect(warned).toContain('every sample (1 s)');
      if (name === 'grower-slow') {
        expect(warned).toHaveLength(6);
      }
    });
  });

  describe.each(['spike', 'plateau', 'page-cache'])('%s: a false alarm must not come', name => {
    const series = loadSeries(name);

    it('went above the threshold (usage or working set) without an OOM kill', () => {
      const peak = Math.max(...series.samples.map(s => Math.max(s.memory.used!, s.memory.usage!)));
      expect(peak).toBeGreaterThan(THRESHOLD * series.limitBytes);
      expect(firstSampleAfterKill(series.samples)).toBeNull();
    });

    it.each(samplings(series.samples).map(s => [s.label, s.samples] as const))(
      'gives no warning (%s)',
      (_, samples) => {
        expect(replay(samples).warnings).toEqual([]);
      }
    );
  });

  it('sudden-oom: one huge allocation is killed within a sample, too fast for any warning', () => {
    const { samples, workloadExit } = loadSeries('sudden-oom');
    expect(workloadExit).toBe('signal SIGKILL');
    expect(firstSampleAfterKill(samples)).not.toBeNull();
    for (const { samples: seen } of samplings(samples)) {
      expect(replay(seen).warnings).toEqual([]);
    }
  });

  it('page-cache: usage reaches the limit while the working set stays low', () => {
    const { samples, limitBytes } = loadSeries('page-cache');
    expect(Math.max(...samples.map(s => s.memory.usage!))).toBeGreaterThan(THRESHOLD * limitBytes);
    expect(Math.max(...samples.map(s => s.memory.used!))).toBeLessThan(0.5 * limitBytes);
  });
});

describe('early warning rule', () => {
  const t0 = 1764160000000;
  const limit = 1000 * MiB;
  /** One sample a second with these working sets (MiB). */
  const series = (used: number[], memory: Partial<Sample['memory']> = {}) =>
    used.map((mib, i) => makeSample({ timestamp: t0 + i * 1000, memory: { used: mib * MiB, limit, ...memory } }));
  /** 10 MiB/s from 850 MiB: above the 900 MiB threshold after 5 s, at the limit after 15 s. */
  const climb = Array.from({ length: 12 }, (_, i) => 850 + 10 * i);

  it('warns for a climb above the threshold that reaches the limit within the horizon', () => {
    const warning = memoryHeadingForLimit({ history: series(climb), threshold: THRESHOLD, horizonSeconds: HORIZON });
    expect(warning).toMatchObject({ used: 960 * MiB, limit, timestamp: t0 + 11000, growingKernel: null });
    expect(warning!.bytesPerSecond).toBeCloseTo(10 * MiB);
    expect(warning!.secondsToLimit).toBeCloseTo(4);
  });

  it('names the growing kernel when one is given', () => {
    const input = { history: series(climb), threshold: THRESHOLD, horizonSeconds: HORIZON, growingKernel: 'a.ipynb' };
    expect(memoryHeadingForLimit(input)!.growingKernel).toBe('a.ipynb');
  });

  it('does not warn below the threshold, beyond the horizon, without a limit or with too few samples', () => {
    const input = { threshold: THRESHOLD, horizonSeconds: HORIZON };
    expect(memoryHeadingForLimit({ ...input, history: series(climb.slice(0, 5)) })).toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: series(climb), horizonSeconds: 3 })).toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: series(climb, { limitSource: 'host' }) })).toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: series(climb, { limit: null }) })).toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: series(climb).slice(-(MIN_TREND_SAMPLES - 1)) })).toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: series(climb).slice(-MIN_TREND_SAMPLES) })).not.toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: [] })).toBeNull();
    // Samples older than the trend window do not count towards it (a tab back from standby).
    const stale = series(climb).map((s, i) => (i < 10 ? { ...s, timestamp: s.timestamp - 60000 } : s));
    expect(memoryHeadingForLimit({ ...input, history: stale })).toBeNull();
  });

  it('goes by the working set, not by usage (page cache)', () => {
    const cache = series(
      climb.map(() => 100),
      {}
    ).map((s, i) => ({ ...s, memory: { ...s.memory, usage: climb[i] * MiB } }));
    expect(memoryHeadingForLimit({ history: cache, threshold: THRESHOLD, horizonSeconds: HORIZON })).toBeNull();
  });

  it('thins a dense window (a sidecar sampling every 50 ms) to a bounded number of samples', () => {
    const dense = Array.from({ length: 600 }, (_, i) =>
      makeSample({ timestamp: t0 + i * 50, memory: { used: (850 + 0.5 * i) * MiB, limit } })
    );
    const started = performance.now();
    const warning = memoryHeadingForLimit({ history: dense, threshold: THRESHOLD, horizonSeconds: HORIZON });
    const elapsed = performance.now() - started;
    expect(warning!.bytesPerSecond).toBeCloseTo(10 * MiB);
    console.log(`600 samples in the window: decided in ${elapsed.toFixed(1)} ms`);
  });

  it('takes a step up to a steady plateau for no growth', () => {
    const step = [...Array(15).fill(300), ...Array(15).fill(950)];
    expect(replay(series(step)).warnings).toEqual([]);
  });

  it('takes a climb that filled the window and stopped for no growth (5 s polls)', () => {
    const every5s = (used: number[]) =>
      used.map((mib, i) => makeSample({ timestamp: t0 + i * 5000, memory: { used: mib * MiB, limit } }));
    const input = { threshold: THRESHOLD, horizonSeconds: HORIZON };
    const climbing = [500, 620, 740, 860, 950];
    expect(memoryHeadingForLimit({ ...input, history: every5s(climbing) })).not.toBeNull();
    expect(memoryHeadingForLimit({ ...input, history: every5s([...climbing, 950]) })).toBeNull();
  });

  it('warns once per episode and re-arms only clearly below the threshold', () => {
    const rearm = (THRESHOLD - REARM_MARGIN) * 1000;
    const justBelow = [...climb, 890, ...climb.slice(5)];
    expect(replay(series(justBelow)).warnings).toHaveLength(1);
    // After a calm as long as the trend window, a climb of 4 MiB/s warns once it fills 3/4 of it.
    const slowClimb = Array.from({ length: 35 }, (_, i) => 850 + 4 * i);
    const clearlyBelow = [...climb, ...Array(31).fill(rearm - 10), ...slowClimb];
    const { warnings, ends } = replay(series(clearlyBelow));
    expect(warnings).toHaveLength(2);
    expect(ends).toEqual([t0 + climb.length * 1000]);
  });

  it('re-arms after an OOM kill even where the working set stays high', () => {
    const history = series(climb).map((s, i) => ({ ...s, memory: { ...s.memory, oomKills: i < 8 ? 0 : 1 } }));
    const { warnings, ends } = replay(history, { threshold: 0.01 });
    expect(ends).toEqual([t0 + 8000]);
    expect(warnings.map(w => w.timestamp)).toEqual([t0 + 4000, t0 + 9000]);
  });
});
