import { cpuLevel, memoryInUse, memoryLevel, usageFraction, usageLevel, worstLevel } from '../../src/levels';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { GiB, makeSample } from './samples';

describe('usage levels', () => {
  it('computes fractions only when both figures are known and the limit positive', () => {
    expect(usageFraction(1, 4)).toBe(0.25);
    expect(usageFraction(null, 4)).toBeNull();
    expect(usageFraction(1, null)).toBeNull();
    expect(usageFraction(1, 0)).toBeNull();
  });

  it('is normal below the threshold, warning from it, critical from 0.95', () => {
    expect(usageLevel(0.5, 0.8)).toBe('normal');
    expect(usageLevel(0.79, 0.8)).toBe('normal');
    expect(usageLevel(0.8, 0.8)).toBe('warning');
    expect(usageLevel(0.94, 0.8)).toBe('warning');
    expect(usageLevel(0.95, 0.8)).toBe('critical');
    expect(usageLevel(1.2, 0.8)).toBe('critical');
    expect(usageLevel(null, 0.8)).toBe('normal');
  });

  it('makes a threshold above 0.95 the critical point too', () => {
    expect(usageLevel(0.96, 0.98)).toBe('normal');
    expect(usageLevel(0.98, 0.98)).toBe('critical');
  });

  it('judges memory by the chosen figure', () => {
    // Working set 1 GiB (fine), usage with page cache 3.8 GiB of 4 GiB.
    const sample = makeSample({ memory: { used: 1 * GiB, usage: 3.8 * GiB } });
    expect(memoryInUse(sample, DEFAULT_SETTINGS)).toBe(1 * GiB);
    expect(memoryLevel(sample, DEFAULT_SETTINGS)).toBe('normal');
    const byUsage = { ...DEFAULT_SETTINGS, memoryFigure: 'usage' as const };
    expect(memoryLevel(sample, byUsage)).toBe('critical');
  });

  it('judges memory and CPU with their own thresholds', () => {
    const sample = makeSample({ cpu: { used: 1.7, limit: 2 }, memory: { used: 3.4 * GiB } });
    const settings = { ...DEFAULT_SETTINGS, cpuWarningThreshold: 0.8, memoryWarningThreshold: 0.9 };
    expect(cpuLevel(sample, settings)).toBe('warning');
    expect(memoryLevel(sample, settings)).toBe('normal');
  });

  it('takes the worst level', () => {
    expect(worstLevel([])).toBe('normal');
    expect(worstLevel(['normal', 'critical', 'warning'])).toBe('critical');
    expect(worstLevel(['warning', 'normal'])).toBe('warning');
  });
});
