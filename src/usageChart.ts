/**
 * One line chart of the details view, drawn as SVG from an IChartSpec (details.ts) with the
 * geometry of chartGeometry.ts. Colours come from style/base.css (JupyterLab theme variables).
 *
 * DOM: .jp-CgroupUsage-chart[data-chart="cpu|memory"] > svg >
 *   path.jp-CgroupUsage-chartSeries[data-series=...], line.jp-CgroupUsage-chartLimit
 */
import { type IChartFrame, linePath, y } from './chartGeometry';
import type { IChartSpec } from './details';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 60;
/** Room above the plot so that a limit line at the top edge stays visible. */
const TOP_PADDING = 3;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  return element;
}

/** The limit is drawn when it fits the scale (not when the scale follows the data far below it). */
function limitShown(spec: IChartSpec): spec is IChartSpec & { limit: number } {
  return spec.limit !== null && spec.limit <= spec.yMax;
}

function minutes(ms: number): string {
  const value = ms / 60000;
  return value >= 1 ? `${Number(value.toFixed(1))} min ago` : `${Math.round(ms / 1000)} s ago`;
}

export class UsageChart {
  constructor(name: IChartSpec['name']) {
    this.node = document.createElement('div');
    this.node.className = 'jp-CgroupUsage-chart';
    this.node.dataset.chart = name;
  }

  readonly node: HTMLDivElement;

  render(spec: IChartSpec | null): void {
    this.node.replaceChildren();
    if (!spec) {
      return;
    }
    const title = document.createElement('div');
    title.className = 'jp-CgroupUsage-chartTitle';
    title.textContent = spec.title;
    const header = document.createElement('div');
    header.className = 'jp-CgroupUsage-chartHeader';
    header.append(title, this._legend(spec));
    this.node.appendChild(header);

    const frame: IChartFrame = {
      t0: spec.t0,
      t1: spec.t1,
      yMax: spec.yMax,
      width: WIDTH,
      height: HEIGHT - TOP_PADDING
    };
    const image = svg('svg', {
      viewBox: `0 ${-TOP_PADDING} ${WIDTH} ${HEIGHT}`,
      width: WIDTH,
      height: HEIGHT,
      role: 'img',
      'aria-label': `${spec.title}, last ${minutes(spec.t1 - spec.t0).replace(' ago', '')}`
    });
    image.appendChild(
      svg('rect', { class: 'jp-CgroupUsage-chartBackground', x: 0, y: -TOP_PADDING, width: WIDTH, height: HEIGHT })
    );
    if (limitShown(spec)) {
      const limitY = y(spec.limit, frame);
      image.appendChild(svg('line', { class: 'jp-CgroupUsage-chartLimit', x1: 0, x2: WIDTH, y1: limitY, y2: limitY }));
    }
    for (const series of spec.series) {
      image.appendChild(
        svg('path', {
          class: `jp-CgroupUsage-chartSeries jp-CgroupUsage-series-${series.name}`,
          'data-series': series.name,
          d: linePath(series.points, frame)
        })
      );
    }
    const top = svg('text', { class: 'jp-CgroupUsage-chartAxis', x: 3, y: 9 });
    top.textContent = spec.yMaxLabel;
    const left = svg('text', { class: 'jp-CgroupUsage-chartAxis', x: 3, y: HEIGHT - TOP_PADDING - 3 });
    left.textContent = minutes(spec.t1 - spec.t0);
    const right = svg('text', {
      class: 'jp-CgroupUsage-chartAxis',
      x: WIDTH - 3,
      y: HEIGHT - TOP_PADDING - 3,
      'text-anchor': 'end'
    });
    right.textContent = 'now';
    image.append(top, left, right);
    this.node.appendChild(image);
  }

  /** Swatch and name of each line, the limit included when it is drawn. */
  private _legend(spec: IChartSpec): HTMLDivElement {
    const legend = document.createElement('div');
    legend.className = 'jp-CgroupUsage-legend';
    const entries = spec.series.map(series => [series.name, series.label]);
    if (limitShown(spec)) {
      entries.push(['limit', 'limit']);
    }
    for (const [name, label] of entries) {
      const entry = document.createElement('span');
      entry.className = `jp-CgroupUsage-legendEntry jp-CgroupUsage-series-${name}`;
      entry.textContent = label;
      legend.appendChild(entry);
    }
    return legend;
  }
}
