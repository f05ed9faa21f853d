/**
 * The bounded history behind the charts. Pure: returns new arrays.
 */
import type { Sample } from './sample';

/**
 * Merges `incoming` into `history`: ordered by timestamp, one sample per timestamp (the poll,
 * the stream and /history can deliver the same sample), only the last `windowMs` before the
 * newest sample, at most `maxLength` samples.
 */
export function mergeHistory(
  history: readonly Sample[],
  incoming: readonly Sample[],
  windowMs: number,
  maxLength: number
): Sample[] {
  const byTime = new Map<number, Sample>();
  for (const sample of [...history, ...incoming]) {
    byTime.set(sample.timestamp, sample);
  }
  const merged = [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
  if (merged.length === 0) {
    return merged;
  }
  const oldest = merged[merged.length - 1].timestamp - windowMs;
  const recent = merged.filter(sample => sample.timestamp >= oldest);
  return recent.slice(Math.max(0, recent.length - maxLength));
}
