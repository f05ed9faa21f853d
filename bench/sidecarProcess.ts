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
}

/** Runs `command` (node, its flags, the bundle, sidecar options) and resolves once it listens. */
export async function startSidecar(command: string[], options: StartOptions = {}): Promise<ChildProcess> {
  const [node, ...args] = command;
  const child = spawn(node, args, { stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe'] });
  if (options.onStdout) child.stdout!.setEncoding('utf8').on('data', options.onStdout);
  process.once('exit', () => child.kill('SIGKILL'));
  let stderr = '';
  await new Promise<void>((resolvePromise, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on unix:')) resolvePromise();
    });
    child.once('exit', code => reject(new Error(`the sidecar exited with ${code}: ${stderr}`)));
  });
  return child;
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
