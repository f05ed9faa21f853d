/**
 * The sidecar bundle as a process under measurement, for bench:stress and bench:soak: starting
 * it and waiting until it listens, what /proc says about it, and one timed GET over its socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
export const BUNDLE = join(ROOT, 'jupyterlab_cgroup_usage/sidecar/cgroup-usage-sidecar.js');

export interface StartOptions {
  /** Called with each piece of stdout, which the sidecar leaves empty unless a Node flag (--trace-gc) writes there. */
  onStdout?: (chunk: string) => void;
  /** The sidecar's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** What stderr must show before the sidecar counts as started (default: its Unix socket listening line). */
  ready?: RegExp;
}

export interface StartedSidecar {
  child: ChildProcess;
  /** The match of `ready` on stderr. */
  ready: RegExpExecArray;
}

/** Every sidecar started here and still running: killed when this process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach(child => child.kill('SIGKILL')));

/** Runs `command` (node, its flags, the bundle, sidecar options) and resolves once stderr matches `options.ready`. */
export async function startSidecarUntilReady(command: string[], options: StartOptions = {}): Promise<StartedSidecar> {
  const [node, ...args] = command;
  const child = spawn(node, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe']
  });
  if (options.onStdout) child.stdout!.setEncoding('utf8').on('data', options.onStdout);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const ready = options.ready ?? /listening on unix:/;
  let stderr = '';
  const match = await new Promise<RegExpExecArray>((resolvePromise, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = ready.exec(stderr);
      if (found) resolvePromise(found);
    });
    child.once('exit', code => reject(new Error(`the sidecar exited with ${code}: ${stderr}`)));
  });
  return { child, ready: match };
}

/** Runs `command` (node, its flags, the bundle, sidecar options) and resolves once it listens. */
export async function startSidecar(command: string[], options: StartOptions = {}): Promise<ChildProcess> {
  return (await startSidecarUntilReady(command, options)).child;
}

/** Open file descriptors of `pid` (0 once it is gone). */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Bytes as MiB with one decimal. */
export function mb(bytes: number | null): number {
  return Math.round(((bytes ?? 0) / 2 ** 20) * 10) / 10;
}

export interface TimedAnswer {
  ms: number;
  bytes: number;
  body: string;
}

/** One GET over the socket; resolves with its time and body when it answered 200, null on anything else or after `timeoutMs`. */
export function timedGet(socketPath: string, path: string, timeoutMs: number): Promise<TimedAnswer | null> {
  const start = performance.now();
  return new Promise(resolvePromise => {
    const request = http.get({ socketPath, path, timeout: timeoutMs }, response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolvePromise(
          response.statusCode === 200
            ? { ms: performance.now() - start, bytes: body.length, body: body.toString() }
            : null
        );
      });
      response.on('error', () => resolvePromise(null));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolvePromise(null));
  });
}
