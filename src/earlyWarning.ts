/**
 * The early warning before an OOM kill. Pure: the notifier hands it the model's history after
 * each new sample, with the episode state it returned last time.
 *
 * The rule: the working set (never raw usage: page cache is reclaimable and never OOM-kills)
 * is at or above the warning threshold, and its trend reaches the limit within the horizon.
 * The trend is read from the slopes between every pair of samples, as the Theil–Sen estimator
 * does, over two windows, and both must reach the limit in time:
 * - over the last TREND_SECONDS, the lower quartile of the pairwise slopes (a robust lower
 *   bound of their median, after Sen's confidence interval). A steady climb makes every
 *   pairwise slope about the same; a burst that fills less than half of the window (a spike,
 *   or the step up to a plateau) leaves more than a quarter of the pairs flat. Least squares
 *   would follow the burst.
 * - over the latest third of those samples (at least the latest step), the median: the climb
 *   is still going on, rather than a climb that filled the window and stopped on a plateau.
 * The median over the long window is the rate the estimate of "when" uses. One warning per
 * episode: it re-arms only once the working set fell clearly below the threshold, or the
 * episode ended in an OOM kill.
 */
import { oomKillsBetween } from './oom';
import type { Sample } from './sample';

/** The trend window. At the 5 s refresh rate it holds 6-7 samples, at 1 s about 30. */
export const TREND_SECONDS = 30;
/**
 * Fewer samples than this in the window give no trend (and no warning): right after the page
 * opened or came back from a hidden tab, or with a refresh rate above about 6 s. With fewer,
 * a climb seen in two samples would already be half of the window.
 */
export const MIN_TREND_SAMPLES = 5;
/**
 * A denser window (a sidecar sampling faster than once a second, streamed to an open details
 * view) is thinned to this many samples, evenly: the pairs grow with the square of the count.
 */
export const MAX_TREND_SAMPLES = 60;
/** The share of the long window's pairwise slopes that may fall short of reaching the limit in time. */
export const LOWER_QUANTILE = 0.25;
/** The recent window is the latest third of the trend window's samples, at least this many. */
export const MIN_RECENT_SAMPLES = 2;
/** The working set must fall this far (a fraction of the limit) below the threshold to re-arm. */
export const REARM_MARGIN = 0.05;

export interface IEarlyWarningInput {
  /** The model's samples, oldest first; the latest is the one to decide on. */
  history: readonly Sample[];
  /** memoryWarningThreshold: the fraction of the limit from which to watch the trend. */
  threshold: number;
  /** Warn when the limit is reached within this many seconds. */
  horizonSeconds: number;
  /** The kernel whose memory grows, where the per-kernel figures name one. */
  growingKernel?: string | null;
}

/** What the warning says. */
export interface IEarlyWarning {
  /** The working set now, bytes. */
  used: number;
  limit: number;
  /** The trend (the median pairwise slope), bytes per second. */
  bytesPerSecond: number;
  /** When the trend reaches the limit, seconds from the latest sample (0: there already). */
  secondsToLimit: number;
  /** The latest sample's timestamp (ms since the epoch). */
  timestamp: number;
  growingKernel: string | null;
}

/** `armed`: a warning may come; `warned`: this episode had its warning. */
export type EarlyWarningEpisode = 'armed' | 'warned';

export interface IEarlyWarningStep {
  episode: EarlyWarningEpisode;
  /** The warning to show now, once per episode. */
  warning: IEarlyWarning | null;
  /** True on the step that ended a warned episode (the warning can be withdrawn). */
  ended: boolean;
}

/** The slopes (bytes per second) between every pair of samples, sorted. */
function pairwiseSlopes(points: readonly { seconds: number; used: number }[]): number[] {
  const slopes: number[] = [];
  points.forEach((a, i) =>
    points.slice(i + 1).forEach(b => {
      if (b.seconds !== a.seconds) {
        slopes.push((b.used - a.used) / (b.seconds - a.seconds));
      }
    })
  );
  return slopes.sort((x, y) => x - y);
}

/** The value at quantile `q` of sorted `values` (the lower one where it falls between two). */
function quantile(values: readonly number[], q: number): number {
  return values[Math.floor(q * (values.length - 1))];
}

/**
 * The warning the latest sample calls for, regardless of episodes: null without a limit (the
 * machine's memory is no limit), below the threshold, or when the trend does not reach the
 * limit within the horizon.
 */
export function memoryHeadingForLimit(input: IEarlyWarningInput): IEarlyWarning | null {
  const latest = input.history[input.history.length - 1];
  const used = latest?.memory.used ?? null;
  const limit = latest?.memory.limit ?? null;
  if (!latest || used === null || limit === null || !(limit > 0) || latest.memory.limitSource === 'host') {
    return null;
  }
  if (used < input.threshold * limit) {
    return null;
  }
  const since = latest.timestamp - TREND_SECONDS * 1000;
  const window = input.history
    .filter(s => s.timestamp >= since && s.timestamp <= latest.timestamp && s.memory.used !== null)
    .map(s => ({ seconds: (s.timestamp - latest.timestamp) / 1000, used: s.memory.used as number }));
  if (window.length < MIN_TREND_SAMPLES) {
    return null;
  }
  const points =
    window.length <= MAX_TREND_SAMPLES
      ? window
      : Array.from(
          { length: MAX_TREND_SAMPLES },
          (_, i) => window[Math.round((i * (window.length - 1)) / (MAX_TREND_SAMPLES - 1))]
        );
  const slopes = pairwiseSlopes(points);
  const recentSlopes = pairwiseSlopes(points.slice(-Math.max(MIN_RECENT_SAMPLES, Math.ceil(points.length / 3))));
  if (slopes.length === 0 || recentSlopes.length === 0) {
    return null;
  }
  const rate = quantile(slopes, 0.5);
  const remaining = Math.max(0, limit - used);
  const reachesInTime = (bytesPerSecond: number) =>
    bytesPerSecond > 0 && remaining / bytesPerSecond <= input.horizonSeconds;
  if (!reachesInTime(quantile(slopes, LOWER_QUANTILE)) || !reachesInTime(quantile(recentSlopes, 0.5))) {
    return null;
  }
  return {
    used,
    limit,
    bytesPerSecond: rate,
    secondsToLimit: remaining / rate,
    timestamp: latest.timestamp,
    growingKernel: input.growingKernel ?? null
  };
}

/** One step of the episode: call it once per new sample. */
export function nextEarlyWarning(episode: EarlyWarningEpisode, input: IEarlyWarningInput): IEarlyWarningStep {
  const { history } = input;
  const latest = history[history.length - 1];
  if (!latest) {
    return { episode, warning: null, ended: false };
  }
  if (episode === 'warned') {
    const { used, limit } = latest.memory;
    const fellBack = used !== null && limit !== null && limit > 0 && used < (input.threshold - REARM_MARGIN) * limit;
    const killed = oomKillsBetween(history[history.length - 2] ?? null, latest) > 0;
    return fellBack || killed
      ? { episode: 'armed', warning: null, ended: true }
      : { episode, warning: null, ended: false };
  }
  const warning = memoryHeadingForLimit(input);
  return { episode: warning ? 'warned' : 'armed', warning, ended: false };
}
