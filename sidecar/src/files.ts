/**
 * Reading the small files of /proc and cgroupfs, with the one rule for what counts as an error.
 *
 * What is an error and what is simply absent:
 * - A file the kernel always provides where we look (the usage counters: v2 memory.current,
 *   memory.stat, cpu.stat; v1 memory.usage_in_bytes, memory.stat, memory.limit_in_bytes,
 *   cpuacct.usage; /proc/meminfo, /proc/stat, the online CPU list) is read with `required`:
 *   missing is an error.
 * - A file the kernel legitimately leaves out is read with `optional`: limits on the root
 *   cgroup (memory.max, cpu.max, pids.max), pids.current in a root or pids-less cgroup,
 *   swap files without swap accounting, cpuset files without the cpuset controller, PSI files
 *   on older kernels. Missing means "none" or "unknown" (null), silently: reporting these
 *   would repeat the same harmless message every second.
 * - A file that exists but cannot be read (permissions, I/O) or parsed is always an error.
 *
 * Reads are synchronous on purpose: these are tiny in-memory files and a sync read costs a
 * few µs where an async one costs a thread-pool round trip. The sidecar runs in its own
 * process, so this never blocks the Jupyter server.
 */
import * as fs from 'node:fs';

import { parseKeyedIntegers } from './parse.js';

/** Collects the one-line reasons for whatever could not be read during one reading. */
export class Problems {
  readonly messages: string[] = [];

  add(path: string, problem: string): void {
    this.messages.push(`${path}: ${problem}`);
  }

  /** A problem that is not about one file (a bad environment variable, discovery). */
  note(message: string): void {
    this.messages.push(message);
  }
}

function readText(path: string, problems: Problems, required: boolean): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) {
      return null;
    }
    problems.add(path, code === 'ENOENT' ? 'missing' : `cannot read (${code ?? String(error)})`);
    return null;
  }
}

/** A file that must exist: missing is an error. */
export function readRequired(path: string, problems: Problems): string | null {
  return readText(path, problems, true);
}

/** A file the kernel may leave out: missing is null without an error. */
export function readOptional(path: string, problems: Problems): string | null {
  return readText(path, problems, false);
}

/**
 * Reads and parses one file; a parse result that is NaN or null becomes an error naming
 * what was expected. Returns null when the file is absent or malformed.
 */
export function readParsed<T>(
  path: string,
  problems: Problems,
  required: boolean,
  parse: (text: string) => T,
  expected: string
): Exclude<T, null> | null {
  const text = readText(path, problems, required);
  if (text === null) {
    return null;
  }
  const value = parse(text);
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) {
    problems.add(path, `malformed (expected ${expected})`);
    return null;
  }
  return value as Exclude<T, null>;
}

/**
 * A flat keyed file (memory.stat, cpu.stat, memory.events, ...) read once. Both lookups take
 * one or more names and return the first present; a non-integer value is reported. When the
 * file itself is absent, both return null without a further error.
 */
export interface KeyedFile {
  /** A key the kernel may leave out (e.g. nr_periods without the cpu controller): absent is null. */
  get(...names: string[]): number | null;
  /** A key the figure needs: absent is an error. */
  require(...names: string[]): number | null;
}

export function readKeyed(path: string, problems: Problems, required: boolean): KeyedFile {
  const values = readParsed(path, problems, required, parseKeyedIntegers, 'key value lines');
  const lookup = (names: string[], mustExist: boolean): number | null => {
    if (values === null) {
      return null;
    }
    const name = names.find((candidate) => values.has(candidate));
    if (name === undefined) {
      if (mustExist) {
        problems.add(path, `no ${names.join(' or ')} line`);
      }
      return null;
    }
    const value = values.get(name)!;
    if (Number.isNaN(value)) {
      problems.add(path, `malformed ${name}`);
      return null;
    }
    return value;
  };
  return { get: (...names) => lookup(names, false), require: (...names) => lookup(names, true) };
}

/**
 * The tightest limit set anywhere on the path from the cgroup up to the mount point: the
 * smallest value of `file` over `chain`. Infinity when no level sets one (or has the file).
 */
export function tightestLimit(
  chain: string[],
  file: string,
  problems: Problems,
  required: boolean,
  parse: (text: string) => number,
  expected: string
): number {
  let tightest = Infinity;
  for (const dir of chain) {
    const value = readParsed(`${dir}/${file}`, problems, required, parse, expected);
    if (value !== null) {
      tightest = Math.min(tightest, value);
    }
  }
  return tightest;
}
