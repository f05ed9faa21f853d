/**
 * The status bar's popup (closes on Escape or a click elsewhere, follows the body's size), but
 * opened below its anchor: the status bar's own always opens above, where an item at the top of
 * the page (JupyterLab's or Notebook 7's top bar) has no room and the popup would stay hidden.
 */
import { Popup } from '@jupyterlab/statusbar';
import { HoverBox } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import type { Widget } from '@lumino/widgets';

/** The status bar popup's own bounds (px). */
const MAX_HEIGHT = 500;
const MIN_HEIGHT = 20;

class PopupBelow extends Popup {
  constructor(options: { body: Widget; anchor: Widget }) {
    super({ ...options, align: 'left', hasDynamicSize: true });
    this._content = options.body;
    this._anchorWidget = options.anchor;
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    // Placed again, below: HoverBox undoes what the placement above (out of view) set.
    HoverBox.setGeometry({
      anchor: this._anchorWidget.node.getBoundingClientRect(),
      host: document.body,
      maxHeight: MAX_HEIGHT,
      minHeight: MIN_HEIGHT,
      node: this._content.node,
      privilege: 'forceBelow'
    });
  }

  private _content: Widget;
  private _anchorWidget: Widget;
}

/** Opens `body` in a popup below `anchor`. */
export function showPopupBelow(options: { body: Widget; anchor: Widget }): Popup {
  const popup = new PopupBelow(options);
  popup.launch();
  return popup;
}
