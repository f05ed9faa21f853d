/** A notification before the working set reaches the memory limit. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { notifyEarlyWarnings } from './earlyWarningNotifier';
import { EARLY_WARNING_PLUGIN_ID, ICgroupUsageModel } from './tokens';

export const earlyWarningPlugin: JupyterFrontEndPlugin<void> = {
  id: EARLY_WARNING_PLUGIN_ID,
  description: 'Warns the user when memory is about to reach the limit, before the kernel kills a process',
  autoStart: true,
  requires: [ICgroupUsageModel],
  activate: (_: JupyterFrontEnd, model: ICgroupUsageModel): void => {
    notifyEarlyWarnings(model);
  }
};
