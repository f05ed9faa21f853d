/**
 * What the benchmark reads about processes from /proc: CPU time, RSS, the process tree,
 * and killing a tree by pid. Linux only, like the scenario it measures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface StatLine {
  ppid: number;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** Start time in clock ticks since boot: with the pid, names one process for good. */
  startTime: number;
}

function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): field N of proc(5) is fields[N - 3].
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    startTime: Number(fields[19])
  };
}

/** User + system CPU time of a process (all its threads), in seconds; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  return readStat(pid)?.cpuSeconds ?? null;
}

/** Resident set size in bytes (VmRSS), null once the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The command line of a process, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** A process named so that a recycled pid is never mistaken for it. */
export interface ProcessId {
  pid: number;
  startTime: number;
}

/** All descendants of `root`, parents before children. */
export function descendants(root: number): ProcessId[] {
  const children = new Map<number, ProcessId[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push({ pid: Number(entry), startTime: stat.startTime });
    children.set(stat.ppid, siblings);
  }
  const found: ProcessId[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Names a running process, or null if it is gone. */
export function processId(pid: number): ProcessId | null {
  const stat = readStat(pid);
  return stat ? { pid, startTime: stat.startTime } : null;
}

/** Whether the process named by `id` still exists (and is not a recycled pid). */
export function isAlive(id: ProcessId): boolean {
  return readStat(id.pid)?.startTime === id.startTime;
}

/** Sends `signal` to each process still alive, children first; gone ones are skipped. */
export function signalAll(ids: ProcessId[], signal: NodeJS.Signals): void {
  for (const id of [...ids].reverse()) {
    if (!isAlive(id)) continue;
    try {
      process.kill(id.pid, signal);
    } catch {
      // Exited between the check and the kill.
    }
  }
}
