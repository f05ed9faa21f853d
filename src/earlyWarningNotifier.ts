/**
 * Turns the early-warning rule (earlyWarning.ts) into a JupyterLab notification: one per
 * episode, withdrawn when the episode ends (the working set fell back, or the OOM
 * notification takes over after a kill).
 */
import { Notification } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';
import { DisposableDelegate } from '@lumino/disposable';
import { type EarlyWarningEpisode, type IEarlyWarning, nextEarlyWarning } from './earlyWarning';
import { formatBytes } from './format';
import type { ICgroupUsageModel } from './tokens';

/** "about 20 s", "about 3 min". */
function aboutWhen(seconds: number): string {
  return seconds < 90 ? `about ${Math.max(1, Math.round(seconds))} s` : `about ${Math.round(seconds / 60)} min`;
}

/** The notification's text. Pure. */
export function earlyWarningMessage(warning: IEarlyWarning): string {
  const when = `Memory will reach the limit (${formatBytes(warning.limit)}) in ${aboutWhen(warning.secondsToLimit)}`;
  const growing = warning.growingKernel ? `: kernel "${warning.growingKernel}" is growing` : '';
  return `${when}${growing}. Save your work, or stop the cell that is allocating, before the kernel kills it.`;
}

/** Shows the early warning as the model's samples come in, while the setting allows it. */
export function notifyEarlyWarnings(model: ICgroupUsageModel): IDisposable {
  let episode: EarlyWarningEpisode = 'armed';
  let lastTimestamp: number | null = null;
  let shown: string | null = null;
  const withdraw = () => {
    if (shown !== null) {
      Notification.dismiss(shown);
      shown = null;
    }
  };
  const onChanged = () => {
    const { sample, settings } = model;
    if (!settings.earlyWarning.enabled || sample === null) {
      episode = 'armed';
      lastTimestamp = null;
      withdraw();
      return;
    }
    if (sample.timestamp === lastTimestamp) {
      return; // a change of state or settings, not a new sample
    }
    lastTimestamp = sample.timestamp;
    const step = nextEarlyWarning(episode, {
      history: model.history,
      threshold: settings.memoryWarningThreshold,
      horizonSeconds: settings.earlyWarning.horizonSeconds
    });
    episode = step.episode;
    if (step.ended) {
      withdraw();
    }
    if (step.warning) {
      shown = Notification.warning(earlyWarningMessage(step.warning), { autoClose: false });
    }
  };
  model.changed.connect(onChanged);
  return new DisposableDelegate(() => {
    model.changed.disconnect(onChanged);
    withdraw();
  });
}
