/**
 * The same item in the top bar: always in Notebook 7 (which has no status bar), and in
 * JupyterLab when the `placement` setting says "topbar". It goes through the top bar's toolbar
 * registry, the place both applications offer for such items.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { UsageStatusItem } from './statusItem';
import { ICgroupUsageModel, TOP_BAR_ITEM_NAME, TOP_BAR_ITEM_PLUGIN_ID } from './tokens';

/** The toolbar the top-bar plugin of JupyterLab (also loaded by Notebook 7) builds. */
const TOP_BAR_FACTORY = 'TopBar';

export const topBarItemPlugin: JupyterFrontEndPlugin<void> = {
  id: TOP_BAR_ITEM_PLUGIN_ID,
  description: 'CPU and memory of the container in the top bar (Notebook 7, or JupyterLab with placement "topbar")',
  autoStart: true,
  requires: [ICgroupUsageModel, IToolbarWidgetRegistry],
  optional: [IStatusBar],
  activate: (
    _: JupyterFrontEnd,
    model: ICgroupUsageModel,
    toolbarRegistry: IToolbarWidgetRegistry,
    statusBar: IStatusBar | null
  ): void => {
    toolbarRegistry.addFactory(TOP_BAR_FACTORY, TOP_BAR_ITEM_NAME, () => {
      const item = new UsageStatusItem(model, { area: 'topbar', hasStatusBar: statusBar !== null });
      // What the status bar does for its items through isActive / activeStateChanged.
      const showIfActive = () => item.setHidden(!item.isActive);
      model.changed.connect(showIfActive, item);
      showIfActive();
      return item;
    });
  }
};
