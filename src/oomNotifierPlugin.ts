/** A notification for every OOM kill in the container's cgroup. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { notifyOomKills } from './oomNotifier';
import { ICgroupUsageModel, OOM_NOTIFIER_PLUGIN_ID } from './tokens';

export const oomNotifierPlugin: JupyterFrontEndPlugin<void> = {
  id: OOM_NOTIFIER_PLUGIN_ID,
  description: 'Tells the user when the kernel killed a process for exceeding the memory limit',
  autoStart: true,
  requires: [ICgroupUsageModel],
  activate: (_: JupyterFrontEnd, model: ICgroupUsageModel): void => {
    notifyOomKills(model);
  }
};
