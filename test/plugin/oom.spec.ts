import { oomKillsBetween } from '../../src/oom';
import { makeSample } from './samples';

describe('OOM kills between samples', () => {
  const kills = (oomKills: number | null) => makeSample({ memory: { oomKills } });

  it('counts increases', () => {
    expect(oomKillsBetween(kills(0), kills(1))).toBe(1);
    expect(oomKillsBetween(kills(2), kills(5))).toBe(3);
  });

  it('ignores the first sample, even of a cgroup that already had kills', () => {
    expect(oomKillsBetween(null, kills(4))).toBe(0);
  });

  it('ignores unknown counters and decreases', () => {
    expect(oomKillsBetween(kills(null), kills(1))).toBe(0);
    expect(oomKillsBetween(kills(1), kills(null))).toBe(0);
    expect(oomKillsBetween(kills(3), kills(1))).toBe(0);
    expect(oomKillsBetween(kills(3), kills(3))).toBe(0);
  });
});
