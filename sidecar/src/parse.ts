/**
 * Pure parsers for the text formats of /proc and cgroupfs. No I/O here, so each format is
 * unit-tested on strings. Conventions: `Infinity` means "no limit" (so limits combine with
 * Math.min), `NaN` or `null` means "malformed" and is turned into an error by the caller.
 */
import type { Pressure, PressureLine } from '../../src/sample.js';

/** v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX pages, ~2^63); anything ≥ 2^62 is none. */
export const V1_NO_LIMIT_THRESHOLD = 2 ** 62;

/** A whole file holding one non-negative integer ("5054464\n"); NaN if it is anything else. */
export function parseInteger(text: string): number {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
}

/** A v2 limit file holding "max" or an integer (memory.max, pids.max, v1 pids.max too). */
export function parseMaxOrInteger(text: string): number {
  return text.trim() === 'max' ? Infinity : parseInteger(text);
}

/** A v1 memory limit: an integer where values ≥ 2^62 mean "no limit". */
export function parseV1MemoryLimit(text: string): number {
  const value = parseInteger(text);
  return value >= V1_NO_LIMIT_THRESHOLD ? Infinity : value;
}

/**
 * Flat keyed files, one "key value" pair per line: memory.stat, cpu.stat, memory.events,
 * memory.oom_control, /proc/vmstat. Values that are not integers are kept as NaN so a caller
 * asking for that key can report it as malformed.
 */
export function parseKeyedIntegers(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 2 && fields[0] !== '') {
      values.set(fields[0], parseInteger(fields[1]));
    }
  }
  return values;
}

/** /proc/meminfo: "MemTotal:       24684084 kB" → bytes, keyed by the name before the colon. */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match) {
      const scale = line.trimEnd().endsWith('kB') ? 1024 : 1;
      values.set(match[1], Number(match[2]) * scale);
    }
  }
  return values;
}

/**
 * A CPU list as in cpuset.cpus.effective or /sys/devices/system/cpu/online ("0-3,8,10-11")
 * → how many CPUs it names. An empty list is 0. Null when malformed.
 */
export function parseCpuListSize(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') {
    return 0;
  }
  let count = 0;
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) {
      return null;
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) {
      return null;
    }
    count += last - first + 1;
  }
  return count;
}

/**
 * v2 cpu.max "QUOTA PERIOD" ("max 100000" = no quota) → cores (Infinity when none);
 * NaN when malformed.
 */
export function parseCpuMax(text: string): number {
  const match = /^(max|\d+)\s+(\d+)$/.exec(text.trim());
  if (!match || Number(match[2]) === 0) {
    return NaN;
  }
  return match[1] === 'max' ? Infinity : Number(match[1]) / Number(match[2]);
}

/**
 * v1 cpu.cfs_quota_us and cpu.cfs_period_us → cores (Infinity when the quota is −1);
 * NaN when either is malformed.
 */
export function parseCfsQuota(quotaText: string, periodText: string): number {
  const quota = quotaText.trim();
  const period = parseInteger(periodText);
  if (!(period > 0)) {
    return NaN;
  }
  if (quota === '-1') {
    return Infinity;
  }
  return parseInteger(quota) / period;
}

function parsePressureLine(fields: string[]): PressureLine | null {
  const values = new Map<string, number>();
  for (const field of fields) {
    const [key, value] = field.split('=');
    if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) {
      values.set(key, Number(value));
    }
  }
  const avg10 = values.get('avg10');
  const avg60 = values.get('avg60');
  const avg300 = values.get('avg300');
  const total = values.get('total');
  if (avg10 === undefined || avg60 === undefined || avg300 === undefined || total === undefined) {
    return null;
  }
  return { avg10, avg60, avg300, total };
}

/**
 * A PSI file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and, except in cpu.pressure
 * on older kernels, a "full" line). Null when the "some" line is missing or malformed.
 */
export function parsePressure(text: string): Pressure | null {
  let some: PressureLine | null = null;
  let full: PressureLine | null = null;
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.trim().split(/\s+/);
    if (kind === 'some') {
      some = parsePressureLine(fields);
    } else if (kind === 'full') {
      full = parsePressureLine(fields);
    }
  }
  return some === null ? null : { some, full };
}

/** USER_HZ: the unit of /proc/stat, 100 on every Linux architecture that matters. */
const USER_HZ = 100;

/**
 * The first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal guest
 * guest_nice", jiffies) → seconds of non-idle CPU time on the whole machine. Guest time is
 * already counted in user/nice, so it is not added again. NaN when malformed.
 */
export function parseProcStatCpuSeconds(text: string): number {
  const firstLine = text.split('\n', 1)[0].trim();
  const fields = firstLine.split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 8) {
    return NaN;
  }
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1, 9).map(parseInteger);
  const busy = user + nice + system + irq + softirq + (steal ?? 0);
  return busy / USER_HZ;
}

/** A limit as the sample shows it: Infinity ("none") becomes null. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
