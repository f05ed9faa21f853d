/**
 * The serving sidecar's last resort: an exception or rejection that escapes every handler is
 * logged on stderr as one line, and the process keeps serving.
 *
 * Why that is safe here: the sidecar's work comes in independent units (one sampler tick, one
 * request, one WebSocket message). The sampler resets its "reading" flag in a `finally` and
 * replaces its state only once a reading is complete, so an error loses at most one sample or
 * one answer; a request whose handler threw is left to the server's time-outs to close. Dying
 * instead would drop every WebSocket and the whole history, for a fault a restart would not fix.
 * Before the server listens nothing of this is installed: an error at start-up still ends the
 * process with a non-zero status, and the launcher's backoff decides when to try again.
 */
import { writeSync } from 'node:fs';

/** Enough to diagnose; a fault that repeats every tick must not fill the Jupyter log for days. */
export const MAX_LOGGED = 100;

/** One line: the stack (or the value) with its line breaks escaped. Pure. */
export function describeEscaped(kind: 'uncaught exception' | 'unhandled rejection', error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `${kind} (still serving): ${text.replace(/\r?\n\s*/g, ' \\n ')}`;
}

/** Installs the handlers; `log` gets one line per error, without the newline. */
export function installLastResort(log: (line: string) => void): void {
  let logged = 0;
  const report = (line: string): void => {
    logged++;
    if (logged <= MAX_LOGGED) {
      log(line);
    }
    if (logged === MAX_LOGGED) {
      log(`${MAX_LOGGED} escaped errors logged; further ones are not`);
    }
  };
  process.on('uncaughtException', error => report(describeEscaped('uncaught exception', error)));
  process.on('unhandledRejection', reason => report(describeEscaped('unhandled rejection', reason)));
}

/**
 * Writes to stderr synchronously and ignores failure: when stderr itself is broken (EPIPE),
 * the stream's 'error' event would otherwise come back here as one more uncaught error.
 */
export function stderrLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // Nowhere left to log to.
  }
}
