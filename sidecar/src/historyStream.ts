/**
 * Writes `/api/v1/history` a few hundred samples at a time, so a full history (up to 36,000
 * samples, ~20 MB of JSON) neither sits in memory whole nor holds the event loop: between
 * chunks it waits for the socket to drain and yields, and /api/v1/metrics is answered meanwhile.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Writable } from 'node:stream';

/** Samples per write: large enough that per-chunk overhead is small, small enough to interleave. */
export const SAMPLES_PER_CHUNK = 256;

export interface HistorySource {
  /** The JSON text of sample `sequence`, or undefined when the ring has overwritten it. */
  json(sequence: number): string | undefined;
}

/** Resolves true on 'drain'; false when the stream closes or nothing drains within `timeoutMs`. */
function drained(stream: Writable, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => finish(true);
    const onClose = (): void => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/**
 * Writes `head`, the samples [first, end) that are still in `source` joined by commas, then
 * `tail`, and ends the stream. A stream that stays full for `timeoutMs` (a client that stopped
 * reading) is destroyed. Resolves true when everything was written.
 */
export async function writeHistory(
  stream: Writable,
  head: string,
  tail: string,
  range: { first: number; end: number },
  source: HistorySource,
  timeoutMs: number
): Promise<boolean> {
  // The last chunk is written, and drained, like the others: end() alone would leave it queued
  // for a client that never reads.
  let chunk = head;
  let separator = '';
  let start = range.first;
  for (let last = false; !last; start += SAMPLES_PER_CHUNK) {
    const stop = Math.min(start + SAMPLES_PER_CHUNK, range.end);
    for (let sequence = start; sequence < stop; sequence++) {
      const json = source.json(sequence);
      if (json !== undefined) {
        chunk += separator + json;
        separator = ',';
      }
    }
    last = stop === range.end;
    chunk += last ? tail : '';
    if (stream.destroyed) {
      return false;
    }
    if (!stream.write(chunk) && !(await drained(stream, timeoutMs))) {
      stream.destroy();
      return false;
    }
    chunk = '';
    await yieldToLoop();
  }
  if (stream.destroyed) {
    return false;
  }
  stream.end();
  return true;
}
