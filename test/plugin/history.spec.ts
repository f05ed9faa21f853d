import { mergeHistory } from '../../src/history';
import { makeSample } from './samples';

const at = (timestamp: number) => makeSample({ timestamp });

describe('history', () => {
  it('orders samples and keeps one per timestamp', () => {
    const merged = mergeHistory([at(3000), at(1000)], [at(2000), at(3000)], 60000, 100);
    expect(merged.map(s => s.timestamp)).toEqual([1000, 2000, 3000]);
  });

  it('keeps only the window before the newest sample', () => {
    const merged = mergeHistory([at(0), at(5000), at(9000)], [at(10000)], 5000, 100);
    expect(merged.map(s => s.timestamp)).toEqual([5000, 9000, 10000]);
  });

  it('keeps at most maxLength samples, the newest', () => {
    const samples = Array.from({ length: 10 }, (_, i) => at(i * 1000));
    expect(mergeHistory([], samples, 60000, 3).map(s => s.timestamp)).toEqual([7000, 8000, 9000]);
  });

  it('handles empty input', () => {
    expect(mergeHistory([], [], 1000, 10)).toEqual([]);
  });
});
