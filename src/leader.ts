/**
 * Which tab of this browser talks to the sidecar. The tabs of one server ask for the same Web
 * Lock (`navigator.locks`); the holder leads, the others queue. A tab asks only while it is
 * visible and lets go when it hides, so leadership moves to a visible tab when the leader
 * closes (the browser frees its locks) or hides. Without Web Locks every visible tab leads on
 * its own, as if it were alone. The browser's objects come in behind two small interfaces, so
 * this runs and is tested without a DOM.
 */
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';

/** The part of the Web Locks API (`navigator.locks`) this uses. */
export interface ILockManager {
  /** Calls `callback` once the lock is granted and holds it until the callback's promise settles. */
  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/** Whether the tab is hidden, and a way to hear when that changes (`document.visibilityState`). */
export interface IVisibility {
  readonly hidden: boolean;
  onChange(listener: () => void): IDisposable;
}

export class LeaderElection implements IDisposable {
  constructor(options: LeaderElection.IOptions) {
    this._name = options.name;
    this._locks = options.locks;
    this._visibility = options.visibility;
    this._listening = this._visibility.onChange(() => this._update());
    this._update();
  }

  /** True while this tab holds the lock (or, without Web Locks, while it is visible). */
  get isLeader(): boolean {
    return this._isLeader;
  }

  /** Whether the tab is hidden (the model's polls stand by then). */
  get hidden(): boolean {
    return this._visibility.hidden;
  }

  /** Emitted with the new value whenever `isLeader` changes. */
  get changed(): ISignal<this, boolean> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Gives up the lock, or the place in its queue. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._listening.dispose();
    this._update();
    Signal.clearData(this);
  }

  private _update(): void {
    const wanted = !this._isDisposed && !this._visibility.hidden;
    if (this._locks === null) {
      this._setLeader(wanted);
    } else if (wanted && this._request === null) {
      this._ask(this._locks);
    } else if (!wanted && this._request !== null) {
      // Frees a held lock, or withdraws from the queue (the pending request then rejects).
      this._request.release();
      this._request.abort.abort();
      this._request = null;
      this._setLeader(false);
    }
  }

  private _ask(locks: ILockManager): void {
    const abort = new AbortController();
    const request = { abort, release: () => undefined as void };
    this._request = request;
    const held = new Promise<void>(resolve => (request.release = resolve));
    locks
      .request(this._name, { signal: abort.signal }, () => {
        if (this._request !== request) {
          return Promise.resolve(); // Granted after this tab stopped asking: hand it straight on.
        }
        this._setLeader(true);
        return held;
      })
      .catch(() => undefined); // The AbortError of a request withdrawn while queued.
  }

  private _setLeader(value: boolean): void {
    if (this._isLeader !== value) {
      this._isLeader = value;
      this._changed.emit(value);
    }
  }

  private readonly _name: string;
  private readonly _locks: ILockManager | null;
  private readonly _visibility: IVisibility;
  private readonly _listening: IDisposable;
  private readonly _changed = new Signal<this, boolean>(this);
  /** The current ask: pending in the queue or holding the lock. */
  private _request: { abort: AbortController; release: () => void } | null = null;
  private _isLeader = false;
  private _isDisposed = false;
}

export namespace LeaderElection {
  export interface IOptions {
    /** The lock's name: one per server (see tabChannel.ts's shareName). */
    name: string;
    /** `navigator.locks`, or null where the browser has none. */
    locks: ILockManager | null;
    visibility: IVisibility;
  }
}
