import { breakdownRows, cpuChart, detailRows, memoryChart } from '../../src/details';
import type { PressureScope } from '../../src/sample';
import { DEFAULT_SETTINGS } from '../../src/settings';
import { GiB, makeSample, MiB } from './samples';

describe('chart specs', () => {
  const history = [0, 1000, 2000].map(i =>
    makeSample({ timestamp: 10000 + i, cpu: { used: 0.5 + i / 4000 }, memory: { used: GiB + i * MiB } })
  );

  it('covers the window before the newest sample', () => {
    const spec = cpuChart(history, 60000)!;
    expect(spec.t1).toBe(12000);
    expect(spec.t0).toBe(12000 - 60000);
    expect(spec.series[0].points.map(p => p.v)).toEqual([0.5, 0.75, 1]);
  });

  it('scales to the limit when the data stays under it', () => {
    expect(cpuChart(history, 60000)!.yMax).toBe(2);
    expect(cpuChart(history, 60000)!.yMaxLabel).toBe('2 cores');
    const memory = memoryChart(history, 60000)!;
    expect(memory.yMax).toBe(4 * GiB);
    expect(memory.limit).toBe(4 * GiB);
    expect(memory.series.map(s => s.name)).toEqual(['workingSet', 'cache']);
  });

  it('scales to the data when the only limit is the whole machine', () => {
    const onHost = history.map(s => ({
      ...s,
      memory: { ...s.memory, limit: 256 * GiB, limitSource: 'host' as const }
    }));
    const spec = memoryChart(onHost, 60000)!;
    // 3 GiB working set at most: a 5 GiB top, the machine's 256 GiB off the chart.
    expect(spec.yMax).toBe(5 * GiB);
    expect(spec.yMaxLabel).toBe('5.0 GiB');
  });

  it('rounds small memory scales to MiB, and to 1 GiB rather than "1000 MiB"', () => {
    const small = (used: number) => [makeSample({ memory: { used, cache: 0, limit: 256 * GiB, limitSource: 'host' } })];
    expect(memoryChart(small(300 * MiB), 60000)!.yMaxLabel).toBe('500 MiB');
    expect(memoryChart(small(600 * MiB), 60000)!.yMaxLabel).toBe('1.0 GiB');
  });

  it('makes room above a figure over its limit', () => {
    const over = [makeSample({ cpu: { used: 2.4, limit: 2 } })];
    expect(cpuChart(over, 60000)!.yMax).toBe(5);
  });

  it('has no chart without samples', () => {
    expect(cpuChart([], 60000)).toBeNull();
    expect(memoryChart([], 60000)).toBeNull();
  });
});

describe('detail rows', () => {
  const value = (rows: ReturnType<typeof detailRows>, name: string) => rows.find(r => r.name === name)?.value;

  it('lists every figure the sidecar reports', () => {
    const rows = detailRows(makeSample({ memory: { oomKills: 2, swap: null } }), DEFAULT_SETTINGS);
    expect(rows.map(r => r.name)).toEqual([
      'cpuUsed',
      'cpuLimit',
      'hostCpus',
      'throttled',
      'memoryUsed',
      'memoryUsage',
      'memoryLimit',
      'oomKills',
      'pressure',
      'pids',
      'disk',
      'source'
    ]);
    expect(value(rows, 'cpuUsed')).toBe('0.73 of 2 cores (36.5%)');
    expect(value(rows, 'cpuLimit')).toBe('2 cores (cgroup)');
    expect(value(rows, 'hostCpus')).toBe('16 (os.cpu_count())');
    expect(value(rows, 'memoryUsage')).toBe('1.5 GiB incl. 307 MiB page cache');
    expect(value(rows, 'memoryLimit')).toBe('4.0 GiB (cgroup)');
    expect(value(rows, 'throttled')).toBe('25.0% of periods');
    expect(value(rows, 'memoryUsed')).toBe('1.2/4.0 GiB (30.0%)');
    expect(value(rows, 'oomKills')).toBe('2');
    expect(rows.find(r => r.name === 'oomKills')?.level).toBe('critical');
    expect(value(rows, 'pressure')).toBe('CPU 1.5% · memory 0.2% · IO n/a');
    expect(rows.find(r => r.name === 'pressure')?.label).toBe('Pressure (10 s)');
    expect(value(rows, 'pids')).toBe('42 of 4096');
    expect(value(rows, 'disk')).toBe('/home/jovyan: 12.0/50.0 GiB (24.0%)');
    expect(value(rows, 'source')).toBe('cgroup v2');
  });

  it('shows swap when the kernel tells and says n/a for unknowns', () => {
    const rows = detailRows(
      makeSample({ memory: { swap: 256 * MiB, oomKills: null }, cpu: { throttledRatio: null }, disk: null }),
      DEFAULT_SETTINGS
    );
    expect(value(rows, 'swap')).toBe('256 MiB');
    expect(value(rows, 'oomKills')).toBe('n/a');
    expect(value(rows, 'throttled')).toBe('n/a');
    expect(value(rows, 'disk')).toBeUndefined();
  });

  it('labels machine-wide pressure as such (hybrid v1 machines, hosts without a cgroup)', () => {
    const label = (scope: PressureScope | null) =>
      detailRows(makeSample({ pressure: { scope } }), DEFAULT_SETTINGS).find(r => r.name === 'pressure')?.label;
    expect(label('machine')).toBe('Pressure (10 s, whole machine)');
    expect(label('cgroup')).toBe('Pressure (10 s)');
    expect(label(null)).toBe('Pressure (10 s)');
  });
});

describe('memory breakdown', () => {
  const breakdown = {
    anon: 900 * MiB,
    activeFile: 200 * MiB,
    inactiveFile: 100 * MiB,
    shmem: 64 * MiB,
    kernel: 12 * MiB,
    slabReclaimable: 4 * MiB,
    sock: null
  };

  it('follows the usage row, one row per part, n/a where the kernel does not say', () => {
    const rows = detailRows(makeSample({ memory: { breakdown } }), DEFAULT_SETTINGS);
    const names = rows.map(row => row.name);
    expect(names.slice(names.indexOf('memoryUsage'), names.indexOf('memoryLimit'))).toEqual([
      'memoryUsage',
      'memoryAnon',
      'memoryPageCache',
      'memoryShmem',
      'memoryKernel',
      'memorySockets'
    ]);
    expect(breakdownRows(breakdown).map(row => row.value)).toEqual([
      '900 MiB',
      '200 MiB active · 100 MiB inactive',
      '64.0 MiB',
      '12.0 MiB (4.0 MiB reclaimable slab)',
      'n/a'
    ]);
  });

  it('is left out without a breakdown (the host source)', () => {
    expect(breakdownRows(undefined)).toEqual([]);
    const names = detailRows(makeSample(), DEFAULT_SETTINGS).map(row => row.name);
    expect(names).not.toContain('memoryAnon');
  });

  it('reads v1 figures without slab or sockets', () => {
    const v1 = { ...breakdown, activeFile: null, slabReclaimable: null, kernel: null };
    expect(breakdownRows(v1).map(row => row.value)).toEqual([
      '900 MiB',
      'n/a active · 100 MiB inactive',
      '64.0 MiB',
      'n/a',
      'n/a'
    ]);
  });
});
