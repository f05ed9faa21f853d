/**
 * The status-bar item: "CPU 0.7/2 · Mem 1.2/4.0 GiB", coloured by warning level, the exact
 * figures in its tooltip. It renders what summary.ts decides.
 *
 * Stable DOM for tests and end-to-end checks:
 *   .jp-CgroupUsage-item                     the item; attributes:
 *       data-state="loading|available|unavailable|disabled"
 *       data-level="normal|warning|critical"  the worst level of the figures shown
 *       title="..."                            the tooltip (figures and limit sources, or the reason)
 *   .jp-CgroupUsage-part                     one figure, data-kind="cpu|memory|disk", data-level=...
 *   .jp-CgroupUsage-warning / .jp-CgroupUsage-critical   on the item and on each part at that level
 *   .jp-CgroupUsage-unavailable              the short text shown while the sidecar is unreachable
 * A click (or Enter / Space) on the item toggles the details view (detailsView.ts) in a popup
 * (above the item in the status bar, below it in the top bar); Escape closes it.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { type Popup, showPopup } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';
import { DetailsView } from './detailsView';
import { worstLevel, type UsageLevel } from './levels';
import { showPopupBelow } from './popupBelow';
import type { Placement } from './settings';
import type { ICgroupUsageModel } from './tokens';
import {
  LOADING_TEXT,
  LOADING_TOOLTIP,
  PART_SEPARATOR,
  statusParts,
  tooltipText,
  UNAVAILABLE_TEXT,
  unavailableTooltip
} from './summary';

const LEVEL_CLASSES: Record<UsageLevel, string | null> = {
  normal: null,
  warning: 'jp-CgroupUsage-warning',
  critical: 'jp-CgroupUsage-critical'
};

function setLevel(node: HTMLElement, level: UsageLevel): void {
  node.dataset.level = level;
  for (const [candidate, className] of Object.entries(LEVEL_CLASSES)) {
    if (className) {
      node.classList.toggle(className, candidate === level);
    }
  }
}

/**
 * The area the item is shown in: the `placement` setting, except where the application has no
 * status bar (Notebook 7), where it is the top bar whatever the setting says. Pure.
 */
export function shownArea(placement: Placement, hasStatusBar: boolean): Placement {
  return hasStatusBar ? placement : 'topbar';
}

export interface IUsageItemOptions {
  /** Where this instance of the item lives. */
  area: Placement;
  /** Whether the application has a status bar (JupyterLab does, Notebook 7 does not). */
  hasStatusBar: boolean;
  /** Runs the details view's buttons that lead to other views (the kernel panel); none without it. */
  commands?: JupyterFrontEnd['commands'] | null;
}

export class UsageStatusItem extends Widget {
  constructor(model: ICgroupUsageModel, options: IUsageItemOptions = { area: 'statusbar', hasStatusBar: true }) {
    super();
    this._model = model;
    this._options = options;
    this.addClass('jp-CgroupUsage-item');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', this);
    this.node.addEventListener('keydown', this);
    model.changed.connect(this.update, this);
    this.update();
  }

  /** Whether the details popup is open. */
  get detailsOpen(): boolean {
    return this._popup !== null;
  }

  /** Opens the details view in a popup above the item, or closes it if open. */
  toggleDetails(): void {
    if (this._popup) {
      this._popup.dispose();
      return;
    }
    const body = new DetailsView(this._model, this._options.commands ?? null);
    const popup =
      this._options.area === 'topbar'
        ? showPopupBelow({ body, anchor: this })
        : showPopup({ body, anchor: this, align: 'left', hasDynamicSize: true });
    popup.disposed.connect(() => (this._popup = null));
    this._popup = popup;
    // The popup closes on Escape when the focus is inside it.
    body.node.focus();
  }

  handleEvent(event: Event): void {
    if (event.type === 'click') {
      this.toggleDetails();
    } else if (event.type === 'keydown') {
      const key = (event as KeyboardEvent).key;
      if (key === 'Enter' || key === ' ' || (key === 'Escape' && this._popup)) {
        event.preventDefault();
        this.toggleDetails();
      }
    }
  }

  dispose(): void {
    this._popup?.dispose();
    super.dispose();
  }

  /** Whether the item should be shown: enabled, at least one figure chosen, and placed in this area. */
  get isActive(): boolean {
    const { show, placement } = this._model.settings;
    return (
      this._model.state !== 'disabled' &&
      (show.cpu || show.memory || show.disk) &&
      shownArea(placement, this._options.hasStatusBar) === this._options.area
    );
  }

  protected onUpdateRequest(): void {
    const { state, sample, settings, reason } = this._model;
    const node = this.node;
    node.dataset.state = state;
    node.replaceChildren();
    if (!this.isActive) {
      // Turned off, or moved to the other area: a popup would hang on a hidden anchor.
      this._popup?.dispose();
    }
    if (state === 'unavailable' || state === 'loading' || state === 'disabled' || !sample) {
      const text = document.createElement('span');
      text.className = state === 'unavailable' ? 'jp-CgroupUsage-unavailable' : 'jp-CgroupUsage-loading';
      text.textContent = state === 'unavailable' ? UNAVAILABLE_TEXT : LOADING_TEXT;
      node.appendChild(text);
      node.title = state === 'unavailable' ? unavailableTooltip(reason) : LOADING_TOOLTIP;
      setLevel(node, 'normal');
      return;
    }
    const parts = statusParts(sample, settings);
    parts.forEach((part, index) => {
      if (index > 0) {
        node.appendChild(document.createTextNode(PART_SEPARATOR));
      }
      const span = document.createElement('span');
      span.className = 'jp-CgroupUsage-part';
      span.dataset.kind = part.kind;
      span.textContent = part.text;
      setLevel(span, part.level);
      node.appendChild(span);
    });
    node.title = tooltipText(sample, settings);
    setLevel(node, worstLevel(parts.map(part => part.level)));
  }

  private _model: ICgroupUsageModel;
  private _options: IUsageItemOptions;
  private _popup: Popup | null = null;
}
