/**
 * The sample series recorded from a real sidecar in real cgroups (test/helpers/record-series.ts
 * wrote test/plugin/fixtures/series/*.json), and what a poll at a given rate would have seen.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { oomKillsBetween } from '../../src/oom';
import { type Sample, sampleProblems } from '../../src/sample';

export interface IRecordedSeries {
  name: string;
  description: string;
  limitBytes: number;
  intervalMs: number;
  workloadExit: string;
  samples: Sample[];
}

export function loadSeries(name: string): IRecordedSeries {
  const file = join(__dirname, 'fixtures', 'series', `${name}.json`);
  const series = JSON.parse(readFileSync(file, 'utf-8')) as IRecordedSeries;
  const problems = series.samples.flatMap(sampleProblems);
  if (problems.length > 0 || series.samples.length === 0) {
    throw new Error(`${file} holds no valid samples: ${problems.slice(0, 3).join('; ')}`);
  }
  return series;
}

/** The first sample whose OOM-kill counter rose (the kill happened since the one before), or null. */
export function firstSampleAfterKill(samples: readonly Sample[]): Sample | null {
  return samples.find((sample, i) => i > 0 && oomKillsBetween(samples[i - 1], sample) > 0) ?? null;
}

/**
 * The samples a poll every `seconds` s would have received, the first poll `phase` s after the
 * series began: at each poll the sidecar's latest sample, each one once.
 */
export function polledEvery(samples: readonly Sample[], seconds: number, phase = 0): Sample[] {
  const seen: Sample[] = [];
  const end = samples[samples.length - 1].timestamp;
  for (let at = samples[0].timestamp + phase * 1000; at <= end; at += seconds * 1000) {
    const latest = samples.filter(sample => sample.timestamp <= at).pop();
    if (latest && latest !== seen[seen.length - 1]) {
      seen.push(latest);
    }
  }
  return seen;
}
