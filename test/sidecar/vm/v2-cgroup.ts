/**
 * Guest side: cgroups of the VM's pure v2 hierarchy, processes started inside them, and
 * waiting for the kernel's own figures (never for a fixed time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { inCgroups } from '../../helpers/cgroup.js';

export const CGROUP_MOUNT = '/sys/fs/cgroup';
/** How often a wait looks at the kernel's figures again. */
const POLL_MS = 50;

/** Resolves with the first truthy `probe()`; rejects naming `what` (and the last value seen) at the deadline. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 90_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(POLL_MS);
  }
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, pids.events) as numbers. */
export function keyed(text: string): Record<string, number> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map(line => line.split(' '))
      .map(([key, value]) => [key, Number(value)])
  );
}

/** The `total=` of a PSI file's `some` line, in µs. */
export function pressureTotal(text: string): number {
  const total = /^some .*total=(\d+)/m.exec(text)?.[1];
  if (total === undefined) {
    throw new Error(`no "some ... total=" line in ${JSON.stringify(text)}`);
  }
  return Number(total);
}

/** One cgroup directory, made with its settings (file → value, written in order). */
export class V2Cgroup {
  readonly dir: string;
  private readonly children: V2Cgroup[] = [];

  constructor(
    readonly path: string,
    settings: Record<string, string> = {}
  ) {
    this.dir = join(CGROUP_MOUNT, path);
    mkdirSync(this.dir);
    for (const [file, value] of Object.entries(settings)) {
      this.write(file, value);
    }
  }

  /** A child cgroup; the controllers it needs are enabled here first. */
  child(name: string, settings: Record<string, string> = {}): V2Cgroup {
    this.write('cgroup.subtree_control', '+memory +cpu +pids +cpuset +io');
    const child = new V2Cgroup(join(this.path, name), settings);
    this.children.push(child);
    return child;
  }

  write(file: string, value: string): void {
    try {
      writeFileSync(join(this.dir, file), value);
    } catch (error) {
      throw new Error(`cannot write '${value}' to ${join(this.dir, file)}: ${(error as Error).message}`);
    }
  }

  read(file: string): string {
    return readFileSync(join(this.dir, file), 'utf8');
  }

  number(file: string): number {
    return Number(this.read(file).trim());
  }

  keyed(file: string): Record<string, number> {
    return keyed(this.read(file));
  }

  /** Runs `command` in this cgroup (the shell joins it, then execs: same pid, nothing outside). */
  spawn(command: string[]): ChildProcess {
    const [shell, ...args] = inCgroups([this.dir], command) as [string, ...string[]];
    return spawn(shell, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Kills everything inside (cgroup.kill, kernel 5.14+), waits until it is empty, removes it. */
  async remove(): Promise<void> {
    for (const child of this.children.splice(0).reverse()) {
      await child.remove();
    }
    this.write('cgroup.kill', '1');
    await until(`${this.path} to empty`, () => keyed(this.read('cgroup.events')).populated === 0, 30_000);
    rmdirSync(this.dir);
  }
}

/** Everything a process printed, once it has exited. */
export async function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
