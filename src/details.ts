/**
 * What the details view shows: chart specifications and rows of figures. Pure functions of
 * the model's sample, history and settings; the view only draws them.
 */
import { formatBytes, formatBytesOf, formatCoreCount, formatPercent, GIB, MIB } from './format';
import { cpuLevel, memoryLevel, usageFraction, type UsageLevel } from './levels';
import type { IPoint } from './chartGeometry';
import { niceMax } from './chartGeometry';
import type { LimitSource, MemoryBreakdown, Pressure, Sample } from './sample';
import type { IUsageSettings } from './settings';
import { limitSourceShort } from './summary';

export interface IChartSeries {
  /** Stable name, used as data-series and in the CSS class. */
  name: string;
  label: string;
  points: IPoint[];
}

export interface IChartSpec {
  name: 'cpu' | 'memory';
  title: string;
  series: IChartSeries[];
  /** The limit, drawn as a dashed line when it fits the scale. */
  limit: number | null;
  yMax: number;
  /** Axis label for yMax, e.g. "2 cores", "4.0 GiB". */
  yMaxLabel: string;
  t0: number;
  t1: number;
}

export interface IDetailRow {
  /** Stable name, used as data-row. */
  name: string;
  label: string;
  value: string;
  level?: UsageLevel;
}

function series(history: readonly Sample[], pick: (sample: Sample) => number | null): IPoint[] {
  return history.map(sample => ({ t: sample.timestamp, v: pick(sample) }));
}

function maxOf(points: IPoint[][]): number {
  let max = 0;
  for (const line of points) {
    for (const point of line) {
      if (point.v !== null && point.v > max) {
        max = point.v;
      }
    }
  }
  return max;
}

/**
 * The chart's top: the limit when there is one to respect and the data stays under it; else
 * a round figure with room above the data, so that 1 GiB out of a host's 256 GiB does not
 * read as a flat line.
 */
function chartTop(
  dataMax: number,
  limit: number | null,
  limitSource: LimitSource,
  round: (value: number) => number
): number {
  const scaleToLimit = limit !== null && limit > 0 && (limitSource !== 'host' || dataMax > limit / 2);
  if (scaleToLimit && dataMax <= limit) {
    return limit;
  }
  return round(Math.max(dataMax * 1.25, scaleToLimit ? limit : 0));
}

/** A round number of GiB, or of MiB up to 500 MiB (then 1 GiB rather than "1000 MiB"). */
function niceBytes(bytes: number): number {
  const unit = bytes >= GIB ? GIB : MIB;
  const top = niceMax(bytes / unit) * unit;
  return unit === MIB && top > 512 * MIB ? GIB : top;
}

export function cpuChart(history: readonly Sample[], windowMs: number): IChartSpec | null {
  const latest = history[history.length - 1];
  if (!latest) {
    return null;
  }
  const used = series(history, sample => sample.cpu.used);
  const limit = latest.cpu.limit;
  const yMax = chartTop(maxOf([used]), limit, latest.cpu.limitSource, niceMax);
  return {
    name: 'cpu',
    title: 'CPU (cores)',
    series: [{ name: 'used', label: 'in use', points: used }],
    limit,
    yMax,
    yMaxLabel: `${formatCoreCount(yMax)} cores`,
    t0: latest.timestamp - windowMs,
    t1: latest.timestamp
  };
}

export function memoryChart(history: readonly Sample[], windowMs: number): IChartSpec | null {
  const latest = history[history.length - 1];
  if (!latest) {
    return null;
  }
  const workingSet = series(history, sample => sample.memory.used);
  const cache = series(history, sample => sample.memory.cache);
  const limit = latest.memory.limit;
  const yMax = chartTop(maxOf([workingSet, cache]), limit, latest.memory.limitSource, niceBytes);
  return {
    name: 'memory',
    title: 'Memory',
    series: [
      { name: 'workingSet', label: 'working set', points: workingSet },
      { name: 'cache', label: 'page cache', points: cache }
    ],
    limit,
    yMax,
    yMaxLabel: formatBytes(yMax),
    t0: latest.timestamp - windowMs,
    t1: latest.timestamp
  };
}

function pressureText(pressure: Pressure | null): string {
  return pressure ? `${pressure.some.avg10.toFixed(1)}%` : 'n/a';
}

export function detailRows(sample: Sample, settings: IUsageSettings): IDetailRow[] {
  const { cpu, memory, pids, pressure, disk } = sample;
  const rows: IDetailRow[] = [
    {
      name: 'cpuUsed',
      label: 'CPU in use',
      value:
        cpu.used === null
          ? 'measuring…'
          : `${cpu.used.toFixed(2)} of ${formatCoreCount(cpu.limit)} cores (${formatPercent(usageFraction(cpu.used, cpu.limit))})`,
      level: cpuLevel(sample, settings)
    },
    {
      name: 'cpuLimit',
      label: 'CPU limit',
      value: `${formatCoreCount(cpu.limit)} cores (${limitSourceShort('cpu', cpu.limitSource)})`
    },
    {
      name: 'hostCpus',
      label: 'CPUs programs see',
      value: `${cpu.hostCpus} (os.cpu_count())`
    },
    {
      name: 'throttled',
      label: 'CPU throttled',
      value: cpu.throttledRatio === null ? 'n/a' : `${formatPercent(cpu.throttledRatio)} of periods`
    },
    {
      name: 'memoryUsed',
      label: 'Working set',
      value: `${formatBytesOf(memory.used, memory.limit)} (${formatPercent(usageFraction(memory.used, memory.limit))})`,
      level: memoryLevel(sample, { ...settings, memoryFigure: 'workingSet' })
    },
    {
      name: 'memoryUsage',
      label: 'Memory usage',
      value: `${formatBytes(memory.usage)} incl. ${formatBytes(memory.cache)} page cache`
    },
    ...breakdownRows(memory.breakdown),
    {
      name: 'memoryLimit',
      label: 'Memory limit',
      value: `${formatBytes(memory.limit)} (${limitSourceShort('memory', memory.limitSource)})`
    }
  ];
  if (memory.swap !== null) {
    rows.push({ name: 'swap', label: 'Swap in use', value: formatBytes(memory.swap) });
  }
  rows.push({
    name: 'oomKills',
    label: 'OOM kills',
    value: memory.oomKills === null ? 'n/a' : String(memory.oomKills),
    level: memory.oomKills ? 'critical' : 'normal'
  });
  rows.push({
    name: 'pressure',
    // Hybrid v1 machines and hosts without a cgroup only have machine-wide PSI.
    label: pressure.scope === 'machine' ? 'Pressure (10 s, whole machine)' : 'Pressure (10 s)',
    value: `CPU ${pressureText(pressure.cpu)} · memory ${pressureText(pressure.memory)} · IO ${pressureText(pressure.io)}`
  });
  rows.push({
    name: 'pids',
    label: 'Processes',
    value: pids.current === null ? 'n/a' : pids.max === null ? String(pids.current) : `${pids.current} of ${pids.max}`
  });
  if (disk) {
    rows.push({
      name: 'disk',
      label: 'Disk',
      value: `${disk.path}: ${formatBytesOf(disk.used, disk.total)} (${formatPercent(usageFraction(disk.used, disk.total))})`
    });
  }
  rows.push({ name: 'source', label: 'Read from', value: sourceText(sample) });
  return rows;
}

/** The one line under the breakdown: what the kernel can take back when the limit is near. */
export const BREAKDOWN_NOTE =
  'Reclaimable when the limit is near: page cache (inactive first) and reclaimable slab. ' +
  'Not reclaimable without swap: anonymous memory, shared memory (/dev/shm, tmpfs), sockets and the rest of kernel memory.';

function bytesOrNa(bytes: number | null): string {
  return bytes === null ? 'n/a' : formatBytes(bytes);
}

/** What usage is made of (memory.stat); nothing when the sample has no breakdown (host source). */
export function breakdownRows(breakdown: MemoryBreakdown | undefined): IDetailRow[] {
  if (breakdown === undefined) {
    return [];
  }
  const { anon, activeFile, inactiveFile, shmem, kernel, slabReclaimable, sock } = breakdown;
  const cache =
    activeFile === null && inactiveFile === null
      ? 'n/a'
      : `${bytesOrNa(activeFile)} active · ${bytesOrNa(inactiveFile)} inactive`;
  const slab = slabReclaimable === null ? '' : ` (${formatBytes(slabReclaimable)} reclaimable slab)`;
  return [
    { name: 'memoryAnon', label: '· anonymous', value: bytesOrNa(anon) },
    { name: 'memoryPageCache', label: '· page cache', value: cache },
    { name: 'memoryShmem', label: '· shared memory (/dev/shm, tmpfs)', value: bytesOrNa(shmem) },
    { name: 'memoryKernel', label: '· kernel', value: `${bytesOrNa(kernel)}${kernel === null ? '' : slab}` },
    { name: 'memorySockets', label: '· sockets', value: bytesOrNa(sock) }
  ];
}

function sourceText(sample: Sample): string {
  switch (sample.source) {
    case 'cgroup-v2':
      return 'cgroup v2';
    case 'cgroup-v1':
      return 'cgroup v1';
    case 'host':
      return 'the host (no cgroup found)';
  }
}
