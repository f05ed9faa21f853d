/**
 * The core plugin: loads the settings (schema/plugin.json, the administrator's `enabled`
 * switch) and provides the model every view of the figures consumes.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { DisposableDelegate } from '@lumino/disposable';
import { type ILockManager, type IVisibility, LeaderElection } from './leader';
import { CgroupUsageModel } from './model';
import { ServerTransport } from './request';
import { bindSettings, DEFAULT_SETTINGS, readSettings } from './settings';
import { type ITabChannel, shareName } from './tabChannel';
import { ICgroupUsageModel, PLUGIN_ID } from './tokens';

const documentVisibility: IVisibility = {
  get hidden() {
    return document.visibilityState === 'hidden';
  },
  onChange(listener) {
    document.addEventListener('visibilitychange', listener);
    return new DisposableDelegate(() => document.removeEventListener('visibilitychange', listener));
  }
};

/**
 * The leader election and channel the tabs of this server share. Browsers offer Web Locks only
 * in secure contexts (https or localhost): without them (or BroadcastChannel) each visible tab
 * follows its own stream.
 */
function tabSharing(baseUrl: string): { election: LeaderElection; channel?: ITabChannel } {
  const name = shareName(baseUrl);
  const locks = (globalThis.navigator as { locks?: ILockManager } | undefined)?.locks;
  if (locks === undefined || typeof BroadcastChannel === 'undefined') {
    return { election: new LeaderElection({ name, locks: null, visibility: documentVisibility }) };
  }
  return {
    election: new LeaderElection({ name, locks, visibility: documentVisibility }),
    channel: new BroadcastChannel(name)
  };
}

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
    const serverSettings = app.serviceManager.serverSettings;
    const model = new CgroupUsageModel({
      transport: new ServerTransport(serverSettings),
      settings: settings ? readSettings(settings.composite) : DEFAULT_SETTINGS,
      ...tabSharing(serverSettings.baseUrl)
    });
    if (settings) {
      bindSettings(settings, value => (model.settings = value));
    }
    return model;
  }
};
