/**
 * The status bar's popup (closes on Escape or a click elsewhere, follows the body's size), but
 * opened below its anchor: the status bar's own always opens above, where an item at the top of
 * the page (JupyterLab's or Notebook 7's top bar) has no room, so it would stay hidden.
 */
import { Popup } from '@jupyterlab/statusbar';
import type { Message } from '@lumino/messaging';
import type { Widget } from '@lumino/widgets';

/** The status bar popup's own height bound (px). */
const MAX_HEIGHT = 500;

class PopupBelow extends Popup {
  constructor(options: { body: Widget; anchor: Widget }) {
    super({ ...options, align: 'left', hasDynamicSize: true });
    this._content = options.body;
    this._anchorWidget = options.anchor;
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    // Placed by hand against the window (Notebook 7's <body> is 0 px high, so HoverBox, which
    // measures against it, finds no room below), undoing what the placement above hid.
    const node = this._content.node;
    const anchor = this._anchorWidget.node.getBoundingClientRect();
    node.style.visibility = '';
    node.style.zIndex = '';
    node.style.marginTop = '0px';
    node.style.maxHeight = `${Math.max(0, Math.min(MAX_HEIGHT, window.innerHeight - anchor.bottom))}px`;
    node.style.top = `${Math.floor(anchor.bottom)}px`;
    node.style.left = `${Math.max(0, Math.min(anchor.left, window.innerWidth - node.offsetWidth))}px`;
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
