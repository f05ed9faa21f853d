/**
 * The CPU quota over a cgroup's chain, and which level holds it: the kernel accounts CFS
 * throttling (cpu.stat nr_periods, nr_throttled) in the cgroup whose quota is enforced, so a
 * child under a limited parent (a Kubernetes container in its pod, a systemd unit in a slice)
 * shows no throttling of its own.
 */
export interface Quota {
  /** Tightest quota in cores; Infinity when no level sets one. */
  cores: number;
  /** The level holding it (the closest one on a tie); the process's own cgroup when none does. */
  holder: string;
}

/** `coresAt` reads one level's quota: null when it sets none (or cannot be read). */
export function tightestQuota(chain: string[], coresAt: (dir: string) => number | null): Quota {
  let quota: Quota = { cores: Infinity, holder: chain[0] };
  for (const dir of chain) {
    const cores = coresAt(dir);
    if (cores !== null && cores < quota.cores) {
      quota = { cores, holder: dir };
    }
  }
  return quota;
}
