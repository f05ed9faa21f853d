/**
 * The kernel panel: a side panel listing this server's kernels with their memory, CPU and
 * processes, opened from the command palette or the details view's "Kernels" button.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import type { Session } from '@jupyterlab/services';
import { KernelPanel } from './kernelPanel';
import type { ISessionInfo } from './kernelRows';
import { KernelUsageModel } from './kernelUsage';
import { ServerKernelTransport } from './request';
import { ICgroupUsageModel, KERNEL_USAGE_PLUGIN_ID, OPEN_KERNEL_USAGE_COMMAND } from './tokens';

/** Below JupyterLab's own right-hand panels (property inspector, debugger). */
const PANEL_RANK = 900;

/** The sessions that have a kernel, as the panel names them. */
function sessionInfos(models: Iterable<Session.IModel>): ISessionInfo[] {
  const infos: ISessionInfo[] = [];
  for (const model of models) {
    if (model.kernel) {
      infos.push({ kernelId: model.kernel.id, path: model.path, type: model.type, kernelName: model.kernel.name });
    }
  }
  return infos;
}

export const kernelUsagePlugin: JupyterFrontEndPlugin<void> = {
  id: KERNEL_USAGE_PLUGIN_ID,
  description: 'A side panel with the memory, CPU and processes of each kernel, for every kernel language',
  autoStart: true,
  requires: [ICgroupUsageModel],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, usage: ICgroupUsageModel, palette: ICommandPalette | null): void => {
    const sessions = app.serviceManager.sessions;
    const model = new KernelUsageModel({
      transport: new ServerKernelTransport(app.serviceManager.serverSettings),
      usage,
      sessions: () => sessionInfos(sessions.running())
    });
    sessions.runningChanged.connect(() => model.sessionsChanged());
    const panel = new KernelPanel(model);
    panel.title.label = 'Kernels';
    app.shell.add(panel, 'right', { rank: PANEL_RANK });
    app.commands.addCommand(OPEN_KERNEL_USAGE_COMMAND, {
      label: 'Show Kernel Usage',
      caption: 'Memory, CPU and processes of each kernel of this server',
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: OPEN_KERNEL_USAGE_COMMAND, category: 'Resource Usage' });
  }
};
