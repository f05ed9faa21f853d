/**
 * The core plugin: loads the settings (schema/plugin.json, the administrator's `enabled`
 * switch) and provides the model every view of the figures consumes.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CgroupUsageModel } from './model';
import { ServerTransport } from './request';
import { bindSettings, DEFAULT_SETTINGS, readSettings } from './settings';
import { ICgroupUsageModel, PLUGIN_ID } from './tokens';

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

export const modelPlugin: JupyterFrontEndPlugin<ICgroupUsageModel> = {
  id: PLUGIN_ID,
  description: 'Reads the cgroup usage figures from the sidecar and provides them to the other plugins',
  autoStart: true,
  provides: ICgroupUsageModel,
  optional: [ISettingRegistry],
  activate: async (app: JupyterFrontEnd, registry: ISettingRegistry | null): Promise<ICgroupUsageModel> => {
    // Settings first: with `enabled: false` not a single request may leave the page.
    const settings = await loadSettings(registry);
    const model = new CgroupUsageModel({
      transport: new ServerTransport(app.serviceManager.serverSettings),
      settings: settings ? readSettings(settings.composite) : DEFAULT_SETTINGS
    });
    if (settings) {
      bindSettings(settings, value => (model.settings = value));
    }
    return model;
  }
};
