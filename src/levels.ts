/**
 * Warning levels: how close a figure is to its limit. Pure functions; the widgets only
 * turn a level into a CSS class.
 */
import type { Sample } from './sample';
import type { IUsageSettings } from './settings';

export type UsageLevel = 'normal' | 'warning' | 'critical';

/**
 * From this fraction of the limit on, a figure is critical whatever the warning threshold:
 * memory this close to its limit is one allocation away from the OOM killer.
 */
export const CRITICAL_FRACTION = 0.95;

/** used / limit, or null when either is unknown or the limit is not positive. */
export function usageFraction(used: number | null, limit: number | null): number | null {
  if (used === null || limit === null || !Number.isFinite(used) || !(limit > 0)) {
    return null;
  }
  return used / limit;
}

export function usageLevel(fraction: number | null, warningThreshold: number): UsageLevel {
  if (fraction === null) {
    return 'normal';
  }
  if (fraction >= Math.max(warningThreshold, CRITICAL_FRACTION)) {
    return 'critical';
  }
  return fraction >= warningThreshold ? 'warning' : 'normal';
}

/** The memory figure the user chose to watch: working set (default) or raw usage. */
export function memoryInUse(sample: Sample, settings: IUsageSettings): number | null {
  return settings.memoryFigure === 'usage' ? sample.memory.usage : sample.memory.used;
}

export function memoryLevel(sample: Sample, settings: IUsageSettings): UsageLevel {
  const fraction = usageFraction(memoryInUse(sample, settings), sample.memory.limit);
  return usageLevel(fraction, settings.memoryWarningThreshold);
}

export function cpuLevel(sample: Sample, settings: IUsageSettings): UsageLevel {
  return usageLevel(usageFraction(sample.cpu.used, sample.cpu.limit), settings.cpuWarningThreshold);
}

/** The worst of several levels (the status item takes the colour of its worst part). */
export function worstLevel(levels: UsageLevel[]): UsageLevel {
  const order: UsageLevel[] = ['normal', 'warning', 'critical'];
  return levels.reduce((worst, level) => (order.indexOf(level) > order.indexOf(worst) ? level : worst), 'normal');
}
