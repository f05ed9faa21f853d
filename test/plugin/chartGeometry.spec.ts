import { linePath, niceMax, y } from '../../src/chartGeometry';

const frame = { t0: 0, t1: 100, yMax: 10, width: 200, height: 50 };

describe('chart geometry', () => {
  it('maps time to x and value to y, top is yMax', () => {
    expect(
      linePath(
        [
          { t: 0, v: 0 },
          { t: 50, v: 5 },
          { t: 100, v: 10 }
        ],
        frame
      )
    ).toBe('M0 50 L100 25 L200 0');
  });

  it('breaks the line at gaps and skips points outside the window', () => {
    const path = linePath(
      [
        { t: -10, v: 1 },
        { t: 0, v: 0 },
        { t: 10, v: null },
        { t: 20, v: 10 },
        { t: 30, v: 10 }
      ],
      frame
    );
    expect(path).toBe('M0 50 M40 0 L60 0');
  });

  it('clamps values into the frame', () => {
    expect(y(20, frame)).toBe(0);
    expect(y(-1, frame)).toBe(50);
  });

  it('rounds axis tops to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0.7)).toBe(1);
    expect(niceMax(1.3)).toBe(2);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(0)).toBe(1);
  });
});
