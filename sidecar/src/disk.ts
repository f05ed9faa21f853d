/**
 * Usage of the filesystem holding --disk-path (the user's home, usually, and often NFS).
 *
 * statfs runs on libuv's thread pool, off the event loop, and a reading waits for it at most
 * DISK_TIMEOUT_MS: a hung NFS server can hold the call for minutes. Only one statfs is ever
 * outstanding: the pool has 4 threads, shared with every other fs call, so while one hangs
 * the next readings report it as pending instead of piling up more.
 */
import * as fs from 'node:fs';

import type { DiskSample } from '../../src/sample.js';
import type { Problems } from './files.js';

/** How long a reading waits for statfs; a healthy local or network filesystem answers in ms. */
export const DISK_TIMEOUT_MS = 2000;

/** The figures of one statfs, or why they cannot be right (null plus a problem). */
export function diskUsage(
  diskPath: string,
  stats: Pick<fs.StatsFs, 'blocks' | 'bfree' | 'bsize'>,
  problems: Problems
): DiskSample | null {
  const { blocks, bfree, bsize } = stats;
  const total = blocks * bsize;
  const counts = [blocks, bfree, bsize];
  if (
    !counts.every(Number.isSafeInteger) ||
    bfree < 0 ||
    bfree > blocks ||
    bsize <= 0 ||
    total > Number.MAX_SAFE_INTEGER
  ) {
    problems.add(diskPath, `statfs gave impossible figures (blocks ${blocks}, free ${bfree}, block size ${bsize})`);
    return null;
  }
  return { path: diskPath, used: (blocks - bfree) * bsize, total };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

export class DiskReader {
  private readonly diskPath: string;
  private readonly timeoutMs: number;
  /** When the outstanding statfs was started; null when none is. */
  private pendingSince: number | null = null;

  constructor(diskPath: string, timeoutMs = DISK_TIMEOUT_MS) {
    this.diskPath = diskPath;
    this.timeoutMs = timeoutMs;
  }

  /** Resolves within the time-out, never rejects. */
  async read(problems: Problems): Promise<DiskSample | null> {
    if (this.pendingSince !== null) {
      const waited = seconds(Date.now() - this.pendingSince);
      problems.add(this.diskPath, `statfs still pending after ${waited} s; not asked again until it answers`);
      return null;
    }
    this.pendingSince = Date.now();
    const statfs = fs.promises.statfs(this.diskPath);
    // Registered first, so it runs before the race below settles: an answer frees the slot.
    const settled = () => {
      this.pendingSince = null;
    };
    statfs.then(settled, settled);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>(resolve => {
      timer = setTimeout(() => resolve(null), this.timeoutMs);
    });
    try {
      const stats = await Promise.race([statfs, timeout]);
      if (stats === null) {
        problems.add(this.diskPath, `statfs did not answer within ${seconds(this.timeoutMs)} s`);
        return null;
      }
      return diskUsage(this.diskPath, stats, problems);
    } catch (error) {
      problems.add(this.diskPath, `cannot statfs (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
