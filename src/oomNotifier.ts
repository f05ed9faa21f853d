/**
 * Turns the model's OOM-kill events into a JupyterLab notification: the answer to
 * "why did my kernel die".
 */
import { Notification } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';
import { DisposableDelegate } from '@lumino/disposable';
import { formatBytes } from './format';
import type { IOomKillEvent } from './model';
import type { ICgroupUsageModel } from './tokens';

/** The notification's text for one OOM-kill event. Pure. */
export function oomKillMessage(event: IOomKillEvent): string {
  const limit = event.limit === null ? 'limit unknown' : formatBytes(event.limit);
  return event.kills > 1
    ? `${event.kills} processes in this session were killed for exceeding the memory limit (${limit})`
    : `A process in this session was killed for exceeding the memory limit (${limit})`;
}

/** Shows a warning that stays until dismissed for every OOM kill the model reports. */
export function notifyOomKills(model: ICgroupUsageModel): IDisposable {
  const onKilled = (_: ICgroupUsageModel, event: IOomKillEvent) => {
    Notification.warning(oomKillMessage(event), { autoClose: false });
  };
  model.oomKilled.connect(onKilled);
  return new DisposableDelegate(() => model.oomKilled.disconnect(onKilled));
}
