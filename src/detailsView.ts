/**
 * The details view, shown in a status-bar popup when the item is clicked: live charts of the
 * last minutes and every figure the sidecar reports. While it is open the model follows the
 * sidecar's live stream.
 *
 * Stable DOM for tests and end-to-end checks:
 *   .jp-CgroupUsage-details                      the view (data-state as on the item)
 *   .jp-CgroupUsage-chart[data-chart="cpu|memory"]  the charts (see usageChart.ts)
 *   .jp-CgroupUsage-row[data-row=NAME]           one figure; NAME: cpuUsed, cpuLimit, hostCpus,
 *       throttled, memoryUsed, memoryUsage, memoryAnon, memoryPageCache, memoryShmem, memoryKernel,
 *       memorySockets (the breakdown), memoryLimit, swap, oomKills, pressure, pids, disk, source
 *   .jp-CgroupUsage-breakdownNote                what of the breakdown can be reclaimed
 *   .jp-CgroupUsage-hint                         the over-forking hint (host CPUs vs limit)
 *   .jp-CgroupUsage-feed                         "live" / "polling" line, stream errors
 *   .jp-CgroupUsage-openKernels                  the button that opens the kernel panel (when that plugin runs)
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';
import { BREAKDOWN_NOTE, cpuChart, detailRows, memoryChart } from './details';
import { element } from './dom';
import { type ICgroupUsageModel, OPEN_KERNEL_USAGE_COMMAND } from './tokens';
import { hostCpuHint, unavailableTooltip } from './summary';
import { UsageChart } from './usageChart';

export class DetailsView extends Widget {
  /** `commands` run the buttons that lead to other views (the kernel panel); without it there are none. */
  constructor(model: ICgroupUsageModel, commands: JupyterFrontEnd['commands'] | null = null) {
    super();
    this._model = model;
    this._commands = commands;
    this.addClass('jp-CgroupUsage-details');
    this.node.tabIndex = -1;
    this.node.setAttribute('aria-label', 'Resource usage details');
    const heading = element('div', 'jp-CgroupUsage-detailsTitle', 'Resource usage of this session');
    this._body = element('div', 'jp-CgroupUsage-detailsBody');
    this.node.append(heading, this._cpuChart.node, this._memoryChart.node, this._body);
    this._watch = model.watchLive();
    model.changed.connect(this.update, this);
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._watch.dispose();
    this._model.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected onUpdateRequest(): void {
    const { state, sample, history, settings, reason, historySeconds } = this._model;
    this.node.dataset.state = state;
    const windowMs = historySeconds * 1000;
    this._cpuChart.render(cpuChart(history, windowMs));
    this._memoryChart.render(memoryChart(history, windowMs));
    this._body.replaceChildren();
    if (state === 'unavailable') {
      this._body.appendChild(element('div', 'jp-CgroupUsage-unavailable', unavailableTooltip(reason)));
    }
    if (!sample) {
      return;
    }
    const table = element('table', 'jp-CgroupUsage-rows');
    for (const row of detailRows(sample, settings)) {
      const tr = element('tr', 'jp-CgroupUsage-row');
      tr.dataset.row = row.name;
      tr.dataset.level = row.level ?? 'normal';
      tr.append(element('th', '', row.label), element('td', '', row.value));
      table.appendChild(tr);
    }
    this._body.appendChild(table);
    if (sample.memory.breakdown) {
      this._body.appendChild(element('div', 'jp-CgroupUsage-breakdownNote', BREAKDOWN_NOTE));
    }
    const hint = hostCpuHint(sample);
    if (hint) {
      this._body.appendChild(element('div', 'jp-CgroupUsage-hint', hint));
    }
    if (sample.errors.length > 0) {
      this._body.appendChild(element('div', 'jp-CgroupUsage-errors', `Could not read: ${sample.errors.join('; ')}`));
    }
    this._body.appendChild(element('div', 'jp-CgroupUsage-feed', this._feedText()));
    const commands = this._commands;
    if (commands?.hasCommand(OPEN_KERNEL_USAGE_COMMAND)) {
      const kernels = element('button', 'jp-CgroupUsage-openKernels jp-mod-styled', 'Which kernel uses it?');
      kernels.addEventListener('click', () => void commands.execute(OPEN_KERNEL_USAGE_COMMAND));
      this._body.appendChild(kernels);
    }
  }

  private _feedText(): string {
    const { live, streamError, settings } = this._model;
    if (live) {
      return 'Live: updated as the sidecar samples';
    }
    const every = `updated every ${settings.refreshRate / 1000} s`;
    return streamError ? `Live stream unavailable (${streamError}): ${every}` : every;
  }

  private _model: ICgroupUsageModel;
  private _commands: JupyterFrontEnd['commands'] | null;
  private _watch: IDisposable;
  private _body: HTMLDivElement;
  private _cpuChart = new UsageChart('cpu');
  private _memoryChart = new UsageChart('memory');
}
