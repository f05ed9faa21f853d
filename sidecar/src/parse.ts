/**
 * Pure parsers for the text formats of /proc and cgroupfs. No I/O here, so each format is
 * unit-tested on strings. Conventions: `Infinity` means "no limit" (so limits combine with
 * Math.min), `NaN` or `null` means "malformed" and is turned into an error by the caller.
 */
import type { Pressure, PressureLine } from '../../src/sample.js';

/** v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX pages, ~2^63); anything ≥ 2^62 is none. */
export const V1_NO_LIMIT_THRESHOLD = 2 ** 62;
/** The largest number of CPUs a Linux kernel can be built for (NR_CPUS at most 8192). */
export const MAX_CPUS = 8192;
/** The CFS bandwidth period the kernel accepts, in µs (1 ms to 1 s); a quota is at least 1 ms. */
export const MIN_CFS_PERIOD_US = 1000;
export const MAX_CFS_PERIOD_US = 1_000_000;

const DIGITS = /^\d+$/;

/**
 * A one-value file without its final newline. The kernel writes the value and "\n", nothing
 * around it: a tab or space there is a byte that replaced part of the value (102\t for 1024).
 */
function valueOf(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * A whole file holding one non-negative integer ("5054464\n"); NaN if it is anything else,
 * including an integer above 2^53, which a double cannot hold exactly (no byte, page or µs
 * count reaches it).
 */
export function parseInteger(text: string): number {
  const trimmed = valueOf(text);
  const value = DIGITS.test(trimmed) ? Number(trimmed) : NaN;
  return value <= Number.MAX_SAFE_INTEGER ? value : NaN;
}

/**
 * A u64 nanosecond counter (v1 cpuacct.usage): unlike the byte counters it does pass 2^53
 * (104 days of CPU time, a few days for a busy many-core container), and a double's
 * rounding there is far below a microsecond. NaN above 2^64 − 1 or when not an integer.
 */
export function parseNanoseconds(text: string): number {
  const trimmed = valueOf(text);
  return DIGITS.test(trimmed) && BigInt(trimmed) < 2n ** 64n ? Number(trimmed) : NaN;
}

/** The kernel's PID_MAX_LIMIT: no cgroup holds more tasks, and pids.max above it reads "max". */
export const PID_MAX_LIMIT = 4_194_304;

/** pids.current: a task count, NaN when above PID_MAX_LIMIT or not an integer. */
export function parsePidCount(text: string): number {
  const value = parseInteger(text);
  return value <= PID_MAX_LIMIT ? value : NaN;
}

/** pids.max: "max" (Infinity) or a task count up to PID_MAX_LIMIT; NaN otherwise. */
export function parsePidsMax(text: string): number {
  return valueOf(text) === 'max' ? Infinity : parsePidCount(text);
}

/** A v2 limit file holding "max" or an integer (memory.max). */
export function parseMaxOrInteger(text: string): number {
  return valueOf(text) === 'max' ? Infinity : parseInteger(text);
}

/**
 * A v1 memory limit: an integer where values from 2^62 up to the kernel's 2^63 − 1 mean
 * "no limit"; other values above 2^53 are NaN, as for parseInteger.
 */
export function parseV1MemoryLimit(text: string): number {
  const trimmed = valueOf(text);
  if (DIGITS.test(trimmed) && BigInt(trimmed) >= BigInt(V1_NO_LIMIT_THRESHOLD)) {
    return BigInt(trimmed) < 2n ** 63n ? Infinity : NaN;
  }
  return parseInteger(trimmed);
}

const KEY = /^[a-z][a-z0-9_]*$/;

/**
 * Flat keyed files, one "key value" pair per line: memory.stat, cpu.stat, memory.events,
 * memory.oom_control, /proc/vmstat → every value seen for each key, as text (the caller
 * parses the keys it needs and reports a key written twice). Null when any non-blank line
 * has another shape or a key the kernel would not write (the file is garbled, and a value
 * split off its line must not pass for a complete one), or when there is no line at all.
 */
export function parseKeyedLines(text: string): Map<string, string[]> | null {
  const values = new Map<string, string[]>();
  for (const line of valueOf(text).split('\n')) {
    const fields = line.split(' ');
    if (fields.length !== 2 || !KEY.test(fields[0]) || !/^\S+$/.test(fields[1])) {
      return null;
    }
    const seen = values.get(fields[0]);
    if (seen === undefined) {
      values.set(fields[0], [fields[1]]);
    } else {
      seen.push(fields[1]);
    }
  }
  return values.size > 0 ? values : null;
}

/**
 * /proc/meminfo: "MemTotal:       24684084 kB" → bytes, keyed by the name before the colon.
 * A value that is not a safe integer in bytes, or a key written twice, is NaN; any non-blank
 * line of another shape makes the file malformed (null).
 */
export function parseMeminfo(text: string): Map<string, number> | null {
  const values = new Map<string, number>();
  for (const line of valueOf(text).split('\n')) {
    const match = /^([^:\s]+): +(\d+)( kB)?$/.exec(line);
    if (!match) {
      return null;
    }
    const bytes = parseInteger(match[2]) * (match[3] === undefined ? 1 : 1024);
    values.set(match[1], values.has(match[1]) || bytes > Number.MAX_SAFE_INTEGER ? NaN : bytes);
  }
  return values;
}

/**
 * A CPU list as in cpuset.cpus.effective or /sys/devices/system/cpu/online ("0-3,8,10-11")
 * → how many CPUs it names. An empty list is 0. Null when malformed: the kernel writes
 * ascending, non-overlapping ranges of CPU numbers below MAX_CPUS.
 */
export function parseCpuListSize(text: string): number | null {
  const trimmed = valueOf(text);
  if (trimmed === '') {
    return 0;
  }
  let count = 0;
  let previousLast = -1;
  for (const part of trimmed.split(',')) {
    const match = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!match) {
      return null;
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first <= previousLast || last < first || last >= MAX_CPUS) {
      return null;
    }
    count += last - first + 1;
    previousLast = last;
  }
  return count;
}

/** A CFS period in µs, NaN outside the range the kernel accepts. */
function parseCfsPeriod(text: string): number {
  const period = parseInteger(text);
  return period >= MIN_CFS_PERIOD_US && period <= MAX_CFS_PERIOD_US ? period : NaN;
}

/** A CFS quota in µs, NaN below the kernel's minimum of 1 ms (or when not an integer). */
function parseCfsQuotaUs(text: string): number {
  const quota = parseInteger(text);
  return quota >= MIN_CFS_PERIOD_US ? quota : NaN;
}

/**
 * v2 cpu.max "QUOTA PERIOD" ("max 100000" = no quota) → cores (Infinity when none);
 * NaN when malformed or outside what the kernel accepts.
 */
export function parseCpuMax(text: string): number {
  const match = /^(\S+) (\S+)$/.exec(valueOf(text));
  if (!match) {
    return NaN;
  }
  const period = parseCfsPeriod(match[2]);
  return (match[1] === 'max' ? Infinity : parseCfsQuotaUs(match[1])) / period;
}

/**
 * v1 cpu.cfs_quota_us and cpu.cfs_period_us → cores (Infinity when the quota is −1);
 * NaN when either is malformed or outside what the kernel accepts.
 */
export function parseCfsQuota(quotaText: string, periodText: string): number {
  // Read as a pair outside readParsed: its check for a cut-short file is made here.
  if (!quotaText.endsWith('\n') || !periodText.endsWith('\n')) {
    return NaN;
  }
  const period = parseCfsPeriod(periodText);
  return (valueOf(quotaText) === '-1' ? Infinity : parseCfsQuotaUs(quotaText)) / period;
}

const PRESSURE_AVERAGE = /^\d{1,3}\.\d\d$/;

/** "avg10=0.00 avg60=0.00 avg300=0.00 total=0": the four fields, each once, nothing else. */
function parsePressureLine(fields: string[]): PressureLine | null {
  const values = new Map<string, number>();
  for (const field of fields) {
    const [key, value, extra] = field.split('=');
    if (value === undefined || extra !== undefined || values.has(key)) {
      return null;
    }
    const parsed = key === 'total' ? parseInteger(value) : PRESSURE_AVERAGE.test(value) ? Number(value) : NaN;
    // Averages are percentages of wall time.
    if (Number.isNaN(parsed) || (key !== 'total' && parsed > 100)) {
      return null;
    }
    values.set(key, parsed);
  }
  const avg10 = values.get('avg10');
  const avg60 = values.get('avg60');
  const avg300 = values.get('avg300');
  const total = values.get('total');
  if (values.size !== 4 || avg10 === undefined || avg60 === undefined || avg300 === undefined || total === undefined) {
    return null;
  }
  return { avg10, avg60, avg300, total };
}

/**
 * A PSI file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and, except in cpu.pressure
 * on older kernels, a "full" line). Null when the "some" line is missing, when either line
 * is malformed or written twice, or when any other non-blank line is there: a garbled "full"
 * line must not pass for an absent one.
 */
export function parsePressure(text: string): Pressure | null {
  const lines = new Map<string, PressureLine | null>();
  for (const line of valueOf(text).split('\n')) {
    const [kind, ...fields] = line.split(' ');
    if ((kind !== 'some' && kind !== 'full') || lines.has(kind)) {
      return null;
    }
    lines.set(kind, parsePressureLine(fields));
  }
  const some = lines.get('some');
  const full = lines.get('full');
  if (some == null || full === null) {
    return null;
  }
  return { some, full: full ?? null };
}

/** USER_HZ: the unit of the CPU times in /proc/stat and /proc/<pid>/stat, 100 on every Linux architecture that matters. */
export const USER_HZ = 100;

/**
 * The first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal guest
 * guest_nice", jiffies, all ten since Linux 2.6.33) → seconds of non-idle CPU time on the
 * whole machine. Guest time is already counted in user/nice, so it is not added again. NaN
 * when malformed, or when a second "cpu " line makes it unclear which one is the total.
 */
export function parseProcStatCpuSeconds(text: string): number {
  const firstLine = text.split('\n', 1)[0];
  const match = /^cpu {2}(\d+(?: \d+){9})$/.exec(firstLine);
  if (!match || text.includes('\ncpu ')) {
    return NaN;
  }
  const [user, nice, system, , , irq, softirq, steal] = match[1].split(' ').map(parseInteger);
  return (user + nice + system + irq + softirq + steal) / USER_HZ;
}

/** A limit as the sample shows it: Infinity ("none") becomes null. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
