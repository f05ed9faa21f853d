/**
 * The plugin's settings as the code uses them: one typed object, normalised from whatever
 * the setting registry (or an administrator's overrides.json) hands us.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DisposableDelegate, type IDisposable } from '@lumino/disposable';

/** Which memory figure is shown against the limit. */
export type MemoryFigure = 'workingSet' | 'usage';

/** Where JupyterLab shows the item. Notebook 7 has no status bar: there it is always in the top bar. */
export type Placement = 'statusbar' | 'topbar';

export interface IUsageSettings {
  /** The administrator's switch: false means no status item and no requests at all. */
  enabled: boolean;
  /** Milliseconds between two polls of the sidecar. */
  refreshRate: number;
  show: { cpu: boolean; memory: boolean; disk: boolean };
  /** Fractions of the limit at which the figure is shown as a warning. */
  memoryWarningThreshold: number;
  cpuWarningThreshold: number;
  memoryFigure: MemoryFigure;
  /** The notification before an OOM kill (earlyWarning.ts): on or off, and how far ahead it looks. */
  earlyWarning: { enabled: boolean; horizonSeconds: number };
  placement: Placement;
}

/** Mirrors the defaults of schema/plugin.json (used when there is no setting registry). */
export const DEFAULT_SETTINGS: IUsageSettings = {
  enabled: true,
  refreshRate: 5000,
  show: { cpu: true, memory: true, disk: false },
  memoryWarningThreshold: 0.9,
  cpuWarningThreshold: 0.9,
  memoryFigure: 'workingSet',
  earlyWarning: { enabled: true, horizonSeconds: 60 },
  placement: 'statusbar'
};

/** The bounds the schema declares; values outside them are clamped rather than rejected. */
export const MIN_REFRESH_RATE = 1000;
export const MAX_REFRESH_RATE = 600000;
export const MIN_HORIZON_SECONDS = 5;
export const MAX_HORIZON_SECONDS = 3600;

function numberIn(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fallback;
  }
  return Math.min(max, Math.max(min, value));
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** Turns a composite settings object into IUsageSettings, falling back to defaults field by field. */
export function readSettings(composite: ReadonlyPartialJSONObject): IUsageSettings {
  const d = DEFAULT_SETTINGS;
  const show = (composite.show ?? {}) as ReadonlyPartialJSONObject;
  const earlyWarning = (composite.earlyWarning ?? {}) as ReadonlyPartialJSONObject;
  return {
    enabled: flag(composite.enabled, d.enabled),
    refreshRate: numberIn(composite.refreshRate, MIN_REFRESH_RATE, MAX_REFRESH_RATE, d.refreshRate),
    show: {
      cpu: flag(show.cpu, d.show.cpu),
      memory: flag(show.memory, d.show.memory),
      disk: flag(show.disk, d.show.disk)
    },
    memoryWarningThreshold: numberIn(composite.memoryWarningThreshold, 0, 1, d.memoryWarningThreshold),
    cpuWarningThreshold: numberIn(composite.cpuWarningThreshold, 0, 1, d.cpuWarningThreshold),
    memoryFigure: composite.memoryFigure === 'usage' ? 'usage' : 'workingSet',
    earlyWarning: {
      enabled: flag(earlyWarning.enabled, d.earlyWarning.enabled),
      horizonSeconds: numberIn(
        earlyWarning.horizonSeconds,
        MIN_HORIZON_SECONDS,
        MAX_HORIZON_SECONDS,
        d.earlyWarning.horizonSeconds
      )
    },
    placement: composite.placement === 'topbar' ? 'topbar' : 'statusbar'
  };
}

/**
 * Calls `apply` with the current settings now and again on every change (Settings Editor,
 * another tab), so that changes take effect without a reload.
 */
export function bindSettings(
  settings: ISettingRegistry.ISettings,
  apply: (value: IUsageSettings) => void
): IDisposable {
  const onChanged = () => apply(readSettings(settings.composite));
  onChanged();
  settings.changed.connect(onChanged);
  return new DisposableDelegate(() => settings.changed.disconnect(onChanged));
}
