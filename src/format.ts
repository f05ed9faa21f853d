/**
 * Number formatting for the status bar, tooltip and details view. Pure functions.
 * Memory and disk use binary units (1 GiB = 2^30 bytes) and say so: "GiB", never "GB".
 */

export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

export interface IBinaryUnit {
  label: string;
  bytes: number;
}

const BINARY_UNITS: IBinaryUnit[] = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'].map((label, power) => ({
  label,
  bytes: 1024 ** power
}));

/** The largest binary unit in which `bytes` is at least 1 (bytes for anything below 1 KiB). */
export function binaryUnit(bytes: number): IBinaryUnit {
  let unit = BINARY_UNITS[0];
  for (const candidate of BINARY_UNITS) {
    if (Math.abs(bytes) >= candidate.bytes) {
      unit = candidate;
    }
  }
  return unit;
}

/** A number of `unit`s: one decimal below 100 ("4.0", "12.5"), none above ("512"). */
function amountIn(bytes: number, unit: IBinaryUnit): string {
  const value = bytes / unit.bytes;
  return unit.bytes === 1 || Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** "1.2 GiB", "512 MiB", "0 B"; "?" when unknown. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) {
    return '?';
  }
  const unit = binaryUnit(bytes);
  return `${amountIn(bytes, unit)} ${unit.label}`;
}

/**
 * "1.2/4.0 GiB": both figures in the unit of the larger one, so they read as one fraction.
 * Without a limit: just the figure.
 */
export function formatBytesOf(used: number | null, limit: number | null): string {
  if (limit === null || !Number.isFinite(limit)) {
    return formatBytes(used);
  }
  const unit = binaryUnit(Math.max(limit, used ?? 0));
  const usedText = used === null || !Number.isFinite(used) ? '?' : amountIn(used, unit);
  return `${usedText}/${amountIn(limit, unit)} ${unit.label}`;
}

/** "1,320,702,976 bytes": the exact figure, for tooltips. */
export function formatExactBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) {
    return 'unknown';
  }
  return `${Math.round(bytes).toLocaleString('en-US')} bytes`;
}

/** Cores in use, one decimal: "0.7"; "?" while the sidecar has only one reading. */
export function formatCoresInUse(cores: number | null): string {
  if (cores === null || !Number.isFinite(cores)) {
    return '?';
  }
  return cores.toFixed(1);
}

/** A core count without trailing zeros: "2", "1.5", "0.25". */
export function formatCoreCount(cores: number | null): string {
  if (cores === null || !Number.isFinite(cores)) {
    return '?';
  }
  return String(Number(cores.toFixed(2)));
}

/** "0.7/2": cores in use against the effective limit. */
export function formatCoresOf(used: number | null, limit: number | null): string {
  return `${formatCoresInUse(used)}/${formatCoreCount(limit)}`;
}

/** A fraction as a percentage, one decimal: 0.3071 → "30.7%". */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) {
    return '?';
  }
  return `${(fraction * 100).toFixed(1)}%`;
}
