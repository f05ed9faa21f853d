/**
 * The kernel panel (a side panel): one row per kernel of this server, largest memory first,
 * from kernelRows.ts. The model asks the sidecar only while the panel is visible.
 *
 * Stable DOM for tests and end-to-end checks:
 *   .jp-CgroupUsage-kernels                         the panel (data-state: live, disabled, failed)
 *   .jp-CgroupUsage-kernelRow[data-kernel=ID]       one kernel (data-rss: bytes, absent when n/a)
 *     [data-cell=title|memory|cpu|processes|pss]    its cells
 *     .jp-CgroupUsage-measurePss                    the "Measure PSS" button
 *   .jp-CgroupUsage-kernelErrors                    why kernels may be missing
 */
import type { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { RSS_NOTE } from './kernelRows';
import { element } from './dom';
import type { KernelUsageModel } from './kernelUsage';

export const KERNEL_PANEL_ID = 'jp-CgroupUsage-kernels';

export class KernelPanel extends Widget {
  constructor(model: KernelUsageModel) {
    super();
    this._model = model;
    this.id = KERNEL_PANEL_ID;
    this.addClass('jp-CgroupUsage-kernels');
    this.title.caption = 'Kernel usage';
    this.node.append(element('div', 'jp-CgroupUsage-detailsTitle', 'Kernels of this server'), this._body);
    model.changed.connect(this.update, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._watch?.dispose();
    this._model.changed.disconnect(this.update, this);
    super.dispose();
  }

  // Watching (and so asking the sidecar) exactly while the panel is visible.
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._followVisibility();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._followVisibility();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._followVisibility();
  }

  protected onBeforeDetach(msg: Message): void {
    this._watch?.dispose();
    this._watch = null;
    super.onBeforeDetach(msg);
  }

  private _followVisibility(): void {
    if (this.isVisible) {
      this._watch ??= this._model.watch();
      this.update();
    } else {
      this._watch?.dispose();
      this._watch = null;
    }
  }

  protected onUpdateRequest(): void {
    const model = this._model;
    this._body.replaceChildren();
    if (!model.enabled) {
      this.node.dataset.state = 'disabled';
      this._body.append(element('div', 'jp-CgroupUsage-unavailable', 'Disabled by the administrator.'));
      return;
    }
    this.node.dataset.state = model.failure === null ? 'live' : 'failed';
    const table = element('table', 'jp-CgroupUsage-kernelTable');
    const head = element('tr', '');
    for (const label of ['Notebook / console', 'Memory', 'CPU', 'Procs']) {
      head.append(element('th', '', label));
    }
    table.append(head);
    for (const row of model.rows) {
      const tr = element('tr', 'jp-CgroupUsage-kernelRow');
      tr.dataset.kernel = row.id;
      if (row.rss !== null) {
        tr.dataset.rss = String(row.rss);
      }
      tr.title = row.reason === null ? row.detail : `${row.detail}: ${row.reason}`;
      const title = element('td', 'jp-CgroupUsage-kernelCell');
      title.dataset.cell = 'title';
      title.append(element('div', 'jp-CgroupUsage-kernelTitle', row.title));
      if (row.reason !== null) {
        title.append(element('div', 'jp-CgroupUsage-kernelReason', `n/a: ${row.reason}`));
      }
      if (row.pss !== '') {
        const pss = element('div', 'jp-CgroupUsage-kernelPss', row.pss);
        pss.dataset.cell = 'pss';
        title.append(pss);
      }
      if (row.rss !== null) {
        const button = element('button', 'jp-CgroupUsage-measurePss', 'Measure PSS');
        button.disabled = row.measuring;
        button.title = 'Divide the pages its processes share among them (reads smaps_rollup once)';
        button.addEventListener('click', () => void model.measurePss(row.id));
        title.append(button);
      }
      const cells = (['memory', 'cpu', 'processes'] as const).map(name => {
        const cell = element('td', 'jp-CgroupUsage-kernelCell jp-CgroupUsage-kernelFigure', row[name]);
        cell.dataset.cell = name;
        return cell;
      });
      tr.append(title, ...cells);
      table.append(tr);
    }
    this._body.append(table);
    if (model.rows.length === 0) {
      this._body.append(
        element('div', 'jp-CgroupUsage-kernelEmpty', model.answer ? 'No kernel is running.' : 'Asking…')
      );
    }
    const problems = model.failure !== null ? [model.failure] : (model.answer?.errors ?? []);
    if (problems.length > 0) {
      this._body.append(element('div', 'jp-CgroupUsage-kernelErrors', problems.join('; ')));
    }
    this._body.append(element('div', 'jp-CgroupUsage-hint', RSS_NOTE));
  }

  private readonly _model: KernelUsageModel;
  private readonly _body = element('div', 'jp-CgroupUsage-detailsBody');
  private _watch: IDisposable | null = null;
}
