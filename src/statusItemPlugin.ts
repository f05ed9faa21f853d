/** The status bar item (and the details view it opens) over the model. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { UsageStatusItem } from './statusItem';
import { ICgroupUsageModel, STATUS_ITEM_PLUGIN_ID } from './tokens';

/** Next to JupyterLab's own left-hand items (kernel status, running sessions). */
const STATUS_ITEM_RANK = 3;

export const statusItemPlugin: JupyterFrontEndPlugin<void> = {
  id: STATUS_ITEM_PLUGIN_ID,
  description: 'CPU and memory of the container in the status bar, with a details view on click',
  autoStart: true,
  requires: [ICgroupUsageModel],
  // Optional: Notebook 7 has no status bar (the top-bar item serves it), and a missing required
  // token would be an error in the browser console on every page.
  optional: [IStatusBar],
  activate: (app: JupyterFrontEnd, model: ICgroupUsageModel, statusBar: IStatusBar | null): void => {
    if (!statusBar) {
      return;
    }
    const item = new UsageStatusItem(model, { area: 'statusbar', hasStatusBar: true, commands: app.commands });
    statusBar.registerStatusItem(STATUS_ITEM_PLUGIN_ID, {
      item,
      align: 'left',
      rank: STATUS_ITEM_RANK,
      isActive: () => item.isActive,
      activeStateChanged: model.changed
    });
  }
};
