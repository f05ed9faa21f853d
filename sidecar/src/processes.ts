/**
 * The process table under a /proc root: each process's parent, CPU times and resident pages
 * from `/proc/<pid>/stat` (one small file the kernel renders without taking the process's
 * memory lock), and command lines where asked. Used by the per-kernel figures (kernels.ts);
 * nothing here runs unless a client asks for them.
 */
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { USER_HZ } from './parse.js';

/** What `/proc/<pid>/stat` says about one process. */
export interface ProcessStat {
  pid: number;
  ppid: number;
  /** The command name (`comm`, at most 15 bytes). */
  comm: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** When the process started, in clock ticks after boot: with the pid, it names one process. */
  startTicks: number;
  /** Resident pages (the same count as statm's second field). */
  rssPages: number;
}

/** A process that could not be read, and why. */
export interface ProcessProblem {
  pid: number;
  problem: string;
}

export interface ProcessTable {
  processes: Map<number, ProcessStat>;
  /** Pid → its children's pids. */
  children: Map<number, number[]>;
  /** Processes whose stat exists but could not be read or parsed (hidepid, a malformed file). */
  problems: ProcessProblem[];
  /** True when the table stopped at MAX_PROCESSES. */
  truncated: boolean;
}

/** Bounds one scan: far more processes than a Jupyter container runs. */
export const MAX_PROCESSES = 32_768;
/** Linux's pid_max ceiling (PID_MAX_LIMIT). */
const MAX_PID = 4_194_304;

const FIELDS_AFTER_COMM = 22;

/**
 * One stat line, or null when it is not one. The command name is in parentheses and may hold
 * spaces and parentheses itself, so the fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcessStat | null {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) {
    return null;
  }
  const pid = Number(text.slice(0, open));
  // From field 3 (state) on; field n is at index n - 3.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (fields.length < FIELDS_AFTER_COMM) {
    return null;
  }
  const number = (field: number) => {
    const raw = fields[field - 3];
    return /^\d+$/.test(raw) ? Number(raw) : NaN;
  };
  const stat: ProcessStat = {
    pid,
    ppid: number(4),
    comm: text.slice(open + 2, close),
    cpuTicks: number(14) + number(15),
    startTicks: number(22),
    rssPages: number(24)
  };
  const numbers = [stat.pid, stat.ppid, stat.cpuTicks, stat.startTicks, stat.rssPages];
  return numbers.every(Number.isSafeInteger) ? stat : null;
}

/** A NUL-separated command line as its arguments (a trailing NUL ends the last one). */
export function parseCmdline(text: string): string[] {
  const args = text.split('\0');
  if (args[args.length - 1] === '') {
    args.pop();
  }
  return args;
}

const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

export interface SystemConstants {
  pageSize: number;
  clockTicks: number;
}

/** Linux's values on every architecture Jupyter runs on, for a root without `self/auxv` (fixtures). */
export const DEFAULT_CONSTANTS: SystemConstants = { pageSize: 4096, clockTicks: USER_HZ };

/**
 * The page size and clock tick rate from the auxiliary vector the kernel gave this process
 * (`/proc/self/auxv`: pairs of native words). Node exposes no sysconf, and the page size is
 * 16 or 64 KiB on some arm64 kernels.
 */
export function parseAuxv(buffer: Buffer): SystemConstants {
  const constants = { ...DEFAULT_CONSTANTS };
  for (let offset = 0; offset + 16 <= buffer.length; offset += 16) {
    const type = Number(buffer.readBigUInt64LE(offset));
    const value = Number(buffer.readBigUInt64LE(offset + 8));
    if (type === AT_PAGESZ && value > 0) {
      constants.pageSize = value;
    } else if (type === AT_CLKTCK && value > 0) {
      constants.clockTicks = value;
    }
  }
  return constants;
}

export function readSystemConstants(procRoot: string): SystemConstants {
  try {
    return parseAuxv(fs.readFileSync(`${procRoot}/self/auxv`));
  } catch {
    return DEFAULT_CONSTANTS;
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** Gone between the directory listing and the read: not a problem, just no longer there. */
export function vanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Every process under `procRoot`: one synchronous read of each `stat` (a few µs each, and
 * the kernel renders it without the process's mmap lock, so a process stuck in reclaim cannot
 * make it wait). Processes that vanish mid-scan are left out silently.
 */
export function readProcessTable(procRoot: string): ProcessTable {
  const table: ProcessTable = { processes: new Map(), children: new Map(), problems: [], truncated: false };
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch (error) {
    table.problems.push({ pid: 0, problem: `cannot list ${procRoot} (${errorCode(error)})` });
    return table;
  }
  for (const entry of entries) {
    if (!/^[1-9]\d{0,6}$/.test(entry) || Number(entry) > MAX_PID) {
      continue;
    }
    if (table.processes.size + table.problems.length >= MAX_PROCESSES) {
      table.truncated = true;
      break;
    }
    const pid = Number(entry);
    let text: string;
    try {
      text = fs.readFileSync(`${procRoot}/${entry}/stat`, 'utf8');
    } catch (error) {
      if (!vanished(error)) {
        table.problems.push({ pid, problem: `stat unreadable (${errorCode(error)})` });
      }
      continue;
    }
    const stat = parseProcStat(text);
    if (stat === null || stat.pid !== pid) {
      table.problems.push({ pid, problem: 'stat malformed' });
      continue;
    }
    table.processes.set(pid, stat);
    const siblings = table.children.get(stat.ppid);
    if (siblings === undefined) {
      table.children.set(stat.ppid, [pid]);
    } else {
      siblings.push(pid);
    }
  }
  return table;
}

/** `pid` and every process below it in the table, the root first; cycles (pid reuse mid-scan) are cut. */
export function subtree(table: ProcessTable, pid: number): number[] {
  const seen = new Set<number>([pid]);
  const order = [pid];
  for (let index = 0; index < order.length; index++) {
    for (const child of table.children.get(order[index]) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        order.push(child);
      }
    }
  }
  return order;
}

/**
 * A process's command line, read off the event loop: the kernel takes the process's mmap lock
 * to copy it, so a process busy faulting in gigabytes can make this read wait.
 * Null when the process vanished; a problem when it cannot be read (hidepid, permissions).
 */
export async function readCmdline(procRoot: string, pid: number): Promise<string[] | ProcessProblem | null> {
  try {
    return parseCmdline(await readFile(`${procRoot}/${pid}/cmdline`, 'utf8'));
  } catch (error) {
    return vanished(error) ? null : { pid, problem: `cmdline unreadable (${errorCode(error)})` };
  }
}
