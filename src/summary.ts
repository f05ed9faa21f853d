/**
 * What the status item says: its parts, its tooltip, its unavailable text. Pure functions
 * of a sample and the settings; the widget only renders what these decide.
 */
import { formatBytes, formatBytesOf, formatCoreCount, formatCoresOf, formatExactBytes, formatPercent } from './format';
import { cpuLevel, memoryInUse, memoryLevel, usageFraction, type UsageLevel } from './levels';
import type { LimitSource, Sample } from './sample';
import type { IUsageSettings } from './settings';

export type PartKind = 'cpu' | 'memory' | 'disk';

/** One figure of the status item: "CPU 0.7/2", "Mem 1.2/4.0 GiB", "Disk 12/50 GiB". */
export interface IStatusPart {
  kind: PartKind;
  text: string;
  level: UsageLevel;
}

export const PART_SEPARATOR = ' · ';

export function statusParts(sample: Sample, settings: IUsageSettings): IStatusPart[] {
  const parts: IStatusPart[] = [];
  if (settings.show.cpu) {
    parts.push({
      kind: 'cpu',
      text: `CPU ${formatCoresOf(sample.cpu.used, sample.cpu.limit)}`,
      level: cpuLevel(sample, settings)
    });
  }
  if (settings.show.memory) {
    parts.push({
      kind: 'memory',
      text: `Mem ${formatBytesOf(memoryInUse(sample, settings), sample.memory.limit)}`,
      level: memoryLevel(sample, settings)
    });
  }
  if (settings.show.disk && sample.disk) {
    parts.push({
      kind: 'disk',
      text: `Disk ${formatBytesOf(sample.disk.used, sample.disk.total)}`,
      level: 'normal'
    });
  }
  return parts;
}

/** The whole status text, e.g. "CPU 0.7/2 · Mem 1.2/4.0 GiB". */
export function statusText(sample: Sample, settings: IUsageSettings): string {
  return statusParts(sample, settings)
    .map(part => part.text)
    .join(PART_SEPARATOR);
}

/** Where a limit comes from, as a phrase for the tooltip. */
export function limitSourceText(resource: 'cpu' | 'memory', source: LimitSource): string {
  switch (source) {
    case 'cgroup':
      return "limit set by the container's cgroup";
    case 'env':
      return `limit from JupyterHub's ${resource === 'cpu' ? 'CPU_LIMIT' : 'MEM_LIMIT'}`;
    case 'host':
      return 'no limit set: the whole machine';
  }
}

/** Where a limit comes from, in a few words for the details view. */
export function limitSourceShort(resource: 'cpu' | 'memory', source: LimitSource): string {
  switch (source) {
    case 'cgroup':
      return 'cgroup';
    case 'env':
      return resource === 'cpu' ? 'CPU_LIMIT' : 'MEM_LIMIT';
    case 'host':
      return 'whole machine, no limit';
  }
}

/**
 * The over-forking hint: programs sizing their pools by os.cpu_count() see the machine's
 * CPUs, not the container's limit. Only when they differ by at least one whole CPU.
 */
export function hostCpuHint(sample: Sample): string | null {
  const { hostCpus, limit } = sample.cpu;
  if (!(hostCpus - limit >= 1)) {
    return null;
  }
  return `Programs see ${hostCpus} CPUs but may use ${formatCoreCount(limit)}: over-forking risk`;
}

function memoryFigureName(settings: IUsageSettings): string {
  return settings.memoryFigure === 'usage' ? 'usage (page cache included)' : 'working set';
}

/** The status item's tooltip: exact figures and where each limit comes from. */
export function tooltipText(sample: Sample, settings: IUsageSettings): string {
  const { cpu, memory, disk } = sample;
  const lines: string[] = [];
  const cpuInUse =
    cpu.used === null
      ? `measuring (the sidecar needs two readings) of ${formatCoreCount(cpu.limit)} cores`
      : `${cpu.used.toFixed(2)} of ${formatCoreCount(cpu.limit)} cores in use ` +
        `(${formatPercent(usageFraction(cpu.used, cpu.limit))})`;
  lines.push(`CPU: ${cpuInUse}, ${limitSourceText('cpu', cpu.limitSource)}`);
  const hint = hostCpuHint(sample);
  if (hint) {
    lines.push(hint);
  }
  if (cpu.throttledRatio !== null) {
    lines.push(`Throttled in ${formatPercent(cpu.throttledRatio)} of scheduling periods`);
  }
  const inUse = memoryInUse(sample, settings);
  lines.push(
    `Memory: ${formatBytes(inUse)} ${memoryFigureName(settings)} of ${formatBytes(memory.limit)} ` +
      `(${formatPercent(usageFraction(inUse, memory.limit))}), ${limitSourceText('memory', memory.limitSource)}`
  );
  lines.push(`  in use: ${formatExactBytes(inUse)}; limit: ${formatExactBytes(memory.limit)}`);
  if (settings.memoryFigure === 'workingSet') {
    lines.push(`  usage with page cache: ${formatBytes(memory.usage)} (page cache ${formatBytes(memory.cache)})`);
  } else {
    lines.push(`  working set: ${formatBytes(memory.used)}`);
  }
  if (memory.oomKills) {
    lines.push(`OOM kills in this session's cgroup: ${memory.oomKills}`);
  }
  if (disk) {
    lines.push(`Disk ${disk.path}: ${formatBytes(disk.used)} of ${formatBytes(disk.total)}`);
  }
  if (sample.errors.length > 0) {
    lines.push(`Could not read: ${sample.errors.join('; ')}`);
  }
  lines.push('Click for details');
  return lines.join('\n');
}

/** The unavailable state: short text for the bar, the reason in the tooltip. */
export const UNAVAILABLE_TEXT = 'Usage n/a';

export function unavailableTooltip(reason: string): string {
  return `Resource usage is unavailable: ${reason}\nRetrying automatically.`;
}

export const LOADING_TEXT = 'Usage …';
export const LOADING_TOOLTIP = 'Waiting for the first sample from the cgroup-usage sidecar';
