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
 * process, so this never blocks the Jupyter server. What keeps a sync read bounded in time
 * and memory: files are opened with O_NONBLOCK and must be regular files (kernfs and procfs
 * files are), so a FIFO or device put in their place is an error instead of a hang; and a
 * file longer than MAX_FILE_BYTES is an error instead of a buffer grown without end.
 *
 * The files are read again every interval, so their descriptors stay open: a reading is one
 * pread per file from offset 0 (which makes the kernel render the file afresh) instead of
 * open, fstat, read and close, each run through Node's fs layer (at a 1 s interval that cut a
 * reading's CPU time from about 1.1 to 0.8 ms here).
 */
import * as fs from 'node:fs';

import { parseInteger, parseKeyedLines } from './parse.js';

/**
 * Collects the one-line reasons for whatever could not be read during one reading, and
 * carries the reader's open files that reading goes through.
 */
export class Problems {
  readonly messages: string[] = [];

  constructor(readonly files: OpenFiles) {}

  add(path: string, problem: string): void {
    this.messages.push(`${path}: ${problem}`);
  }

  /** A problem that is not about one file (a bad environment variable, discovery). */
  note(message: string): void {
    this.messages.push(message);
  }
}

/** Bounds the open descriptors when one process reads many trees (tests, fixture trees). */
const MAX_OPEN_FILES = 64;
/**
 * A file found missing is looked for again only after this long: most never appear (limits
 * of the root cgroup, PSI on older kernels), and a failed open costs an exception each time.
 */
export const MISSING_RECHECK_MS = 60_000;
/**
 * Longer than any real cgroup or proc file read here: the largest, /proc/self/mountinfo on a
 * busy Kubernetes node or /proc/stat with thousands of CPUs, stay well under 1 MiB.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** One buffer for every read: the files are small and read one at a time. It never grows. */
const readBuffer = Buffer.allocUnsafe(16 * 1024);

/** A file that exists but is not one we read: its message is the whole explanation. */
class RefusedFile extends Error {}

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** What a non-regular file is, for the message. */
function fileType(stats: fs.Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** Keeps at most MAX_OPEN_FILES entries, dropping the oldest. */
function bound<V>(map: Map<string, V>, drop: (path: string, value: V) => void): void {
  if (map.size >= MAX_OPEN_FILES) {
    const [path, value] = map.entries().next().value as [string, V];
    map.delete(path);
    drop(path, value);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already unusable: nothing to release.
  }
}

/**
 * The whole file from offset 0; a short read is its end (regular, proc and kernfs files alike).
 * A file longer than the shared buffer is read into a buffer of its own, dropped afterwards.
 */
function preadAll(fd: number): string {
  let buffer = readBuffer;
  let length = 0;
  for (;;) {
    const wanted = buffer.length - length;
    const got = fs.readSync(fd, buffer, length, wanted, length);
    length += got;
    if (got < wanted) {
      return buffer.toString('utf8', 0, length);
    }
    if (length > MAX_FILE_BYTES) {
      throw new RefusedFile(`larger than ${MAX_FILE_BYTES} bytes`);
    }
    // One byte past the limit tells a file of exactly MAX_FILE_BYTES from a longer one.
    const larger = Buffer.allocUnsafe(Math.min(buffer.length * 4, MAX_FILE_BYTES + 1));
    buffer.copy(larger, 0, 0, length);
    buffer = larger;
  }
}

/**
 * The descriptors a reader keeps open between readings (see above), and the files it found
 * missing; owned by one reader, closed with it.
 */
export class OpenFiles {
  /**
   * The file's text, or null when it does not exist. A kept descriptor follows the file, not
   * the path: a removed cgroup's files fail with ENODEV, and then the path is opened once more.
   * (A regular file replaced by a new one would still read the old one; only kernel files are
   * read here, and fixture trees are rewritten in place.)
   */
  read(path: string): string | null {
    const fd = this._descriptor(path);
    if (fd === null) {
      return null;
    }
    try {
      return preadAll(fd);
    } catch (error) {
      if (error instanceof RefusedFile) {
        throw error;
      }
      this._open.delete(path);
      closeQuietly(fd);
      const reopened = this._descriptor(path);
      return reopened === null ? null : preadAll(reopened);
    }
  }

  /** Closes every kept descriptor (a later read opens them again). */
  close(): void {
    for (const fd of this._open.values()) {
      closeQuietly(fd);
    }
    this._open.clear();
    this._missing.clear();
  }

  /** The kept descriptor of `path`, opened if need be; null when the file does not exist. */
  private _descriptor(path: string): number | null {
    const kept = this._open.get(path);
    if (kept !== undefined) {
      return kept;
    }
    const missingSince = this._missing.get(path);
    if (missingSince !== undefined && Date.now() - missingSince < MISSING_RECHECK_MS) {
      return null;
    }
    let fd: number;
    try {
      // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
      fd = fs.openSync(path, OPEN_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
      bound(this._missing, () => undefined);
      this._missing.set(path, Date.now());
      return null;
    }
    this._missing.delete(path);
    let stats: fs.Stats;
    try {
      stats = fs.fstatSync(fd);
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    if (!stats.isFile()) {
      closeQuietly(fd);
      throw new RefusedFile(`${fileType(stats)}, not a regular file`);
    }
    bound(this._open, (_path, oldest) => closeQuietly(oldest));
    this._open.set(path, fd);
    return fd;
  }

  private readonly _open = new Map<string, number>();
  /** Path → when it was found missing (ms since the epoch). */
  private readonly _missing = new Map<string, number>();
}

function readText(path: string, problems: Problems, required: boolean): string | null {
  let text: string | null;
  try {
    text = problems.files.read(path);
  } catch (error) {
    if (error instanceof RefusedFile) {
      problems.add(path, error.message);
    } else {
      const code = (error as NodeJS.ErrnoException).code;
      problems.add(path, `cannot read (${code ?? String(error)})`);
    }
    return null;
  }
  if (text === null && required) {
    problems.add(path, 'missing');
  }
  return text;
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
 * what was expected. Returns null when the file is absent or malformed. Every file read this
 * way ends with a newline when the kernel writes it: one without is cut short (or empty).
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
  if (!text.endsWith('\n')) {
    problems.add(path, text === '' ? 'empty' : 'cut short (no final newline)');
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
 * A flat keyed file (memory.stat, cpu.stat, memory.events, ...) read once. The lookups take
 * one or more names and use the first present; a value that does not parse, or a key the
 * file holds twice, is reported. When the file itself is absent, they return null without a
 * further error.
 */
export interface KeyedFile {
  /** A key the kernel may leave out (e.g. nr_periods without the cpu controller): absent is null. */
  get(...names: string[]): number | null;
  /** A key the figure needs: absent is an error. */
  require(...names: string[]): number | null;
  /** An optional key whose value is not a plain integer (v1 hierarchical_memory_limit). */
  getParsed(name: string, parse: (text: string) => number): number | null;
}

export function readKeyed(path: string, problems: Problems, required: boolean): KeyedFile {
  const values = readParsed(path, problems, required, parseKeyedLines, 'key value lines');
  const lookup = (names: string[], mustExist: boolean, parse: (text: string) => number): number | null => {
    if (values === null) {
      return null;
    }
    const name = names.find(candidate => values.has(candidate));
    if (name === undefined) {
      if (mustExist) {
        problems.add(path, `no ${names.join(' or ')} line`);
      }
      return null;
    }
    const texts = values.get(name)!;
    if (texts.length > 1) {
      problems.add(path, `${texts.length} ${name} lines`);
      return null;
    }
    const value = parse(texts[0]);
    if (Number.isNaN(value)) {
      problems.add(path, `malformed ${name}`);
      return null;
    }
    return value;
  };
  return {
    get: (...names) => lookup(names, false, parseInteger),
    require: (...names) => lookup(names, true, parseInteger),
    getParsed: (name, parse) => lookup([name], false, parse)
  };
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
