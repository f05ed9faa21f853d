/**
 * The plugin: wires the settings, the model, the status item and the OOM notification.
 * Everything it wires lives in its own module.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { CgroupUsageModel } from './model';
import { notifyOomKills } from './oomNotifier';
import { ServerTransport } from './request';
import { bindSettings, DEFAULT_SETTINGS, readSettings } from './settings';
import { UsageStatusItem } from './statusItem';
import { PLUGIN_ID } from './tokens';

/** Next to JupyterLab's own left-hand items (kernel status, running sessions). */
const STATUS_ITEM_RANK = 3;

async function loadSettings(registry: ISettingRegistry | null): Promise<ISettingRegistry.ISettings | null> {
  if (!registry) {
    return null;
  }
  try {
    return await registry.load(PLUGIN_ID);
  } catch (error) {
    console.warn(`${PLUGIN_ID}: settings could not be loaded, using the defaults`, error);
    return null;
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "CPU and memory of the container in the status bar, read from its cgroup by a sidecar",
  autoStart: true,
  optional: [IStatusBar, ISettingRegistry],
  activate: async (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    registry: ISettingRegistry | null
  ): Promise<void> => {
    // Settings first: with `enabled: false` not a single request may leave the page.
    const settings = await loadSettings(registry);
    const model = new CgroupUsageModel({
      transport: new ServerTransport(app.serviceManager.serverSettings),
      settings: settings ? readSettings(settings.composite) : DEFAULT_SETTINGS
    });
    if (settings) {
      bindSettings(settings, value => (model.settings = value));
    }
    notifyOomKills(model);
    if (statusBar) {
      const item = new UsageStatusItem(model);
      statusBar.registerStatusItem(PLUGIN_ID, {
        item,
        align: 'left',
        rank: STATUS_ITEM_RANK,
        isActive: () => item.isActive,
        activeStateChanged: model.changed
      });
    }
  }
};

export default plugin;
