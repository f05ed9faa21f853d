import { isSample, sampleProblems } from '../../src/sample';
import { makeSample } from './samples';

describe('sampleProblems / isSample', () => {
  it('accepts a sample as docs/sidecar.md names it, unknown figures (null) included', () => {
    expect(sampleProblems(makeSample())).toEqual([]);
    const unknowns = makeSample({
      memory: { used: null, limit: null, oomKills: null },
      cpu: { used: null },
      disk: null
    });
    expect(isSample(unknowns)).toBe(true);
  });

  it('names each part that does not fit', () => {
    const { memory, ...noMemory } = makeSample();
    expect(sampleProblems(noMemory)).toEqual(['sample.memory missing']);
    expect(sampleProblems({ ...makeSample(), version: 2, source: 'docker' })).toEqual(['version: 2', 'source: docker']);
    expect(sampleProblems({ ...makeSample(), memory: { ...memory, used: '1 GiB' } })).toEqual(['memory.used: 1 GiB']);
    expect(sampleProblems({ ...makeSample(), errors: [1] })).toEqual(['errors is not a list of strings']);
    expect(sampleProblems(null)).toEqual(['sample is not an object']);
    expect(isSample({ error: 'not ready' })).toBe(false);
  });
});
