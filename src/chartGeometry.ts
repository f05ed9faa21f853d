/**
 * Geometry of the details view's charts: SVG path data from time series. Pure.
 */

export interface IPoint {
  /** Milliseconds since the epoch. */
  t: number;
  /** The value; null leaves a gap in the line. */
  v: number | null;
}

export interface IChartFrame {
  /** Time at the left and right edges, ms. */
  t0: number;
  t1: number;
  /** Value at the top edge (the bottom is 0). */
  yMax: number;
  width: number;
  height: number;
}

function x(t: number, frame: IChartFrame): number {
  const span = frame.t1 - frame.t0;
  return span > 0 ? ((t - frame.t0) / span) * frame.width : frame.width;
}

/** Value to pixel row, clamped into the frame so that a spike never leaves the chart. */
export function y(v: number, frame: IChartFrame): number {
  const ratio = frame.yMax > 0 ? v / frame.yMax : 0;
  return frame.height * (1 - Math.min(1, Math.max(0, ratio)));
}

const round = (n: number) => Math.round(n * 10) / 10;

/** "M x y L x y ...", starting a new segment after every gap; points outside [t0, t1] are skipped. */
export function linePath(points: readonly IPoint[], frame: IChartFrame): string {
  const commands: string[] = [];
  let drawing = false;
  for (const point of points) {
    if (point.v === null || !Number.isFinite(point.v) || point.t < frame.t0 || point.t > frame.t1) {
      drawing = false;
      continue;
    }
    commands.push(`${drawing ? 'L' : 'M'}${round(x(point.t, frame))} ${round(y(point.v, frame))}`);
    drawing = true;
  }
  return commands.join(' ');
}

/** A round top for the y axis at or above `value`: 1, 2 or 5 times a power of ten (of the unit). */
export function niceMax(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find(candidate => candidate * power >= value) ?? 10;
  return step * power;
}
