import {
  binaryUnit,
  formatBytes,
  formatBytesOf,
  formatCoreCount,
  formatCoresInUse,
  formatCoresOf,
  formatExactBytes,
  formatPercent
} from '../../src/format';
import { GiB, MiB } from './samples';

describe('binary units', () => {
  it('picks the largest unit the figure reaches', () => {
    expect(binaryUnit(0).label).toBe('B');
    expect(binaryUnit(1023).label).toBe('B');
    expect(binaryUnit(1024).label).toBe('KiB');
    expect(binaryUnit(1024 * 1024 - 1).label).toBe('KiB');
    expect(binaryUnit(MiB).label).toBe('MiB');
    expect(binaryUnit(GiB).label).toBe('GiB');
    expect(binaryUnit(1024 * GiB).label).toBe('TiB');
  });

  it('labels bytes with IEC names and one decimal below 100', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1.2 * GiB)).toBe('1.2 GiB');
    expect(formatBytes(4 * GiB)).toBe('4.0 GiB');
    expect(formatBytes(512 * MiB)).toBe('512 MiB');
    expect(formatBytes(12.5 * GiB)).toBe('12.5 GiB');
    // 10^9 bytes are 0.93 GiB, i.e. 954 MiB, not "1 GB".
    expect(formatBytes(1e9)).toBe('954 MiB');
  });

  it('says "?" for unknown figures', () => {
    expect(formatBytes(null)).toBe('?');
    expect(formatBytes(NaN)).toBe('?');
  });

  it('writes a used/limit pair in the unit of the larger figure', () => {
    expect(formatBytesOf(1.2 * GiB, 4 * GiB)).toBe('1.2/4.0 GiB');
    expect(formatBytesOf(512 * MiB, 4 * GiB)).toBe('0.5/4.0 GiB');
    expect(formatBytesOf(300 * MiB, 512 * MiB)).toBe('300/512 MiB');
    // Over the limit (usage with page cache can be): the larger figure picks the unit.
    expect(formatBytesOf(2 * GiB, 512 * MiB)).toBe('2.0/0.5 GiB');
    expect(formatBytesOf(null, 4 * GiB)).toBe('?/4.0 GiB');
    expect(formatBytesOf(1.2 * GiB, null)).toBe('1.2 GiB');
  });

  it('writes exact byte counts with separators', () => {
    expect(formatExactBytes(4 * GiB)).toBe('4,294,967,296 bytes');
    expect(formatExactBytes(null)).toBe('unknown');
  });
});

describe('cores', () => {
  it('writes cores in use with one decimal and limits without trailing zeros', () => {
    expect(formatCoresInUse(0.73)).toBe('0.7');
    expect(formatCoresInUse(0)).toBe('0.0');
    expect(formatCoreCount(2)).toBe('2');
    expect(formatCoreCount(1.5)).toBe('1.5');
    expect(formatCoreCount(0.25)).toBe('0.25');
    expect(formatCoresOf(0.73, 2)).toBe('0.7/2');
    expect(formatCoresOf(null, 1.5)).toBe('?/1.5');
  });
});

describe('percentages', () => {
  it('writes fractions as percentages with one decimal', () => {
    expect(formatPercent(0.3071)).toBe('30.7%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(null)).toBe('?');
  });
});
