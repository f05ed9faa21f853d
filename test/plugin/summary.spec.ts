import { DEFAULT_SETTINGS, type IUsageSettings } from '../../src/settings';
import {
  hostCpuHint,
  limitSourceShort,
  limitSourceText,
  statusParts,
  statusText,
  tooltipText,
  unavailableTooltip
} from '../../src/summary';
import { GiB, makeSample } from './samples';

const showAll: IUsageSettings = { ...DEFAULT_SETTINGS, show: { cpu: true, memory: true, disk: true } };

describe('status text', () => {
  it('shows CPU and memory against their limits', () => {
    expect(statusText(makeSample(), DEFAULT_SETTINGS)).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });

  it('shows only the chosen figures', () => {
    const sample = makeSample();
    expect(statusText(sample, showAll)).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB · Disk 12.0/50.0 GiB');
    expect(statusText(sample, { ...DEFAULT_SETTINGS, show: { cpu: false, memory: true, disk: false } })).toBe(
      'Mem 1.2/4.0 GiB'
    );
    expect(statusParts(sample, { ...DEFAULT_SETTINGS, show: { cpu: false, memory: false, disk: false } })).toEqual([]);
  });

  it('leaves out the disk when the sidecar has none', () => {
    expect(statusText(makeSample({ disk: null }), showAll)).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });

  it('shows raw usage when asked', () => {
    expect(statusText(makeSample(), { ...DEFAULT_SETTINGS, memoryFigure: 'usage' })).toBe(
      'CPU 0.7/2 · Mem 1.5/4.0 GiB'
    );
  });

  it('marks each part with its level', () => {
    const sample = makeSample({ cpu: { used: 1.9 }, memory: { used: 3.7 * GiB } });
    const levels = statusParts(sample, DEFAULT_SETTINGS).map(part => [part.kind, part.level]);
    expect(levels).toEqual([
      ['cpu', 'critical'],
      ['memory', 'warning']
    ]);
  });

  it('writes "?" for the CPU before the sidecar has two readings', () => {
    expect(statusText(makeSample({ cpu: { used: null } }), DEFAULT_SETTINGS)).toBe('CPU ?/2 · Mem 1.2/4.0 GiB');
  });
});

describe('limit sources', () => {
  it('names the cgroup, JupyterHub variables and the host', () => {
    expect(limitSourceText('memory', 'cgroup')).toContain('cgroup');
    expect(limitSourceText('memory', 'env')).toContain('MEM_LIMIT');
    expect(limitSourceText('cpu', 'env')).toContain('CPU_LIMIT');
    expect(limitSourceText('cpu', 'host')).toBe('no limit set: the whole machine');
    expect(limitSourceShort('memory', 'env')).toBe('MEM_LIMIT');
    expect(limitSourceShort('cpu', 'cgroup')).toBe('cgroup');
  });
});

describe('host CPU hint', () => {
  it('warns when programs see more CPUs than they may use', () => {
    expect(hostCpuHint(makeSample({ cpu: { hostCpus: 16, limit: 2 } }))).toBe(
      'Programs see 16 CPUs but may use 2: over-forking risk'
    );
    expect(hostCpuHint(makeSample({ cpu: { hostCpus: 96, limit: 64 } }))).toContain('see 96 CPUs but may use 64');
  });

  it('stays quiet when the difference is less than one CPU', () => {
    expect(hostCpuHint(makeSample({ cpu: { hostCpus: 2, limit: 2 } }))).toBeNull();
    expect(hostCpuHint(makeSample({ cpu: { hostCpus: 2, limit: 1.5 } }))).toBeNull();
  });
});

describe('tooltip', () => {
  it('gives the exact figures and where each limit comes from', () => {
    const sample = makeSample({ memory: { limitSource: 'env' }, errors: ['memory.pressure: ENOENT'] });
    const text = tooltipText(sample, showAll);
    expect(text).toContain('CPU: 0.73 of 2 cores in use (36.5%)');
    expect(text).toContain("CPU: 0.73 of 2 cores in use (36.5%), limit set by the container's cgroup");
    expect(text).toContain("Memory: 1.2 GiB working set of 4.0 GiB (30.0%), limit from JupyterHub's MEM_LIMIT");
    expect(text).toContain('limit: 4,294,967,296 bytes');
    expect(text).toContain('Programs see 16 CPUs but may use 2');
    expect(text).toContain('Throttled in 25.0% of scheduling periods');
    expect(text).toContain('Disk /home/jovyan: 12.0 GiB of 50.0 GiB');
    expect(text).toContain('Could not read: memory.pressure: ENOENT');
  });

  it('says the CPU figure is being measured before the second reading', () => {
    const text = tooltipText(makeSample({ cpu: { used: null, limitSource: 'host' } }), DEFAULT_SETTINGS);
    expect(text).toContain(
      'CPU: measuring (the sidecar needs two readings) of 2 cores, no limit set: the whole machine'
    );
  });

  it('mentions OOM kills only when there were some', () => {
    expect(tooltipText(makeSample(), DEFAULT_SETTINGS)).not.toContain('OOM');
    expect(tooltipText(makeSample({ memory: { oomKills: 3 } }), DEFAULT_SETTINGS)).toContain('OOM kills');
  });

  it('puts the reason into the unavailable tooltip', () => {
    expect(unavailableTooltip('no Node.js found: install nodejs')).toContain('no Node.js found: install nodejs');
  });
});
