/**
 * OOM-kill detection between two consecutive samples. Pure.
 */
import type { Sample } from './sample';

/**
 * How many OOM kills happened between `previous` and `next`. Zero on the first sample
 * (kills from before the page was opened are history, not news), when the kernel does not
 * tell, or when the counter went down (a different cgroup, e.g. after a restart).
 */
export function oomKillsBetween(previous: Sample | null, next: Sample): number {
  const before = previous?.memory.oomKills ?? null;
  const after = next.memory.oomKills;
  if (before === null || after === null || after <= before) {
    return 0;
  }
  return after - before;
}
