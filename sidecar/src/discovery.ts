/**
 * Finding the process's cgroup directories, once, when the reader is created.
 *
 * /proc/self/cgroup names the cgroup path per hierarchy ("0::/path" for v2,
 * "N:ctrl,ctrl:/path" for v1); /proc/self/mountinfo says where each hierarchy is mounted and
 * which part of it (the mount's root field). The directory to read is the mount point joined
 * with the cgroup path minus the mount root: with a cgroup namespace both are usually "/",
 * in a Docker v1 container both are "/docker/<id>", on a plain host the root is "/" and the
 * path is long (e.g. kubepods.slice/...). A namespace that kept the outer mount shows a root
 * of "/..": the directory is then searched for once (findOwnCgroup). Among several mounts of
 * one hierarchy, the one under /sys is read; with --sys-root given, nothing outside it is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { PressureScope } from '../../src/sample.js';
import { OpenFiles, Problems, readOptional, readRequired } from './files.js';

/** The v1 controllers the readers use. */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** One cgroup directory of this process, plus where to look for limits set above it. */
export interface CgroupLocation {
  /** The process's cgroup directory (under --sys-root when mounted under /sys). */
  dir: string;
  /** `dir`, its parent, ... up to and including the mount point: the levels a limit may sit on. */
  chain: string[];
}

export type Discovery =
  | { kind: 'cgroup-v2'; cgroup: CgroupLocation; pressureScope: PressureScope; problems: string[] }
  | {
      kind: 'cgroup-v1';
      controllers: Partial<Record<V1Controller, CgroupLocation>>;
      /** The v2 directory on a hybrid machine: where PSI files live, if anywhere. */
      unified: CgroupLocation | null;
      /** Null when there is no v2 tree, hence no PSI. */
      pressureScope: PressureScope | null;
      problems: string[];
    }
  | { kind: 'host'; problems: string[] };

/** One line of /proc/self/cgroup. */
export interface CgroupMembership {
  /** Empty for the v2 hierarchy ("0::/path"). */
  controllers: string[];
  path: string;
}

/** One cgroup or cgroup2 line of /proc/self/mountinfo. */
export interface CgroupMount {
  version: 1 | 2;
  /** Which directory of the hierarchy is mounted (field 4). */
  root: string;
  mountPoint: string;
  /** v1: the controllers in the super options ("rw,cpu,cpuacct" → cpu, cpuacct). */
  controllers: string[];
}

export function parseProcCgroup(text: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = [];
  for (const line of text.split('\n')) {
    // The path may itself contain ':', so split only on the first two.
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match) {
      const controllers = match[2] === '' ? [] : match[2].split(',');
      memberships.push({ controllers, path: match[3] });
    }
  }
  return memberships;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    // "id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions"
    const separator = line.indexOf(' - ');
    if (separator < 0) {
      continue;
    }
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const fstype = after[0];
    if (before.length < 5 || (fstype !== 'cgroup' && fstype !== 'cgroup2')) {
      continue;
    }
    mounts.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      root: unescapeMountField(before[3]),
      mountPoint: unescapeMountField(before[4]),
      controllers: fstype === 'cgroup' ? (after[2] ?? '').split(',') : []
    });
  }
  return mounts;
}

function isUnderSys(mountPoint: string): boolean {
  return mountPoint === '/sys' || mountPoint.startsWith('/sys/');
}

/** A mount point under /sys is read under --sys-root instead. */
function reRoot(mountPoint: string, sysRoot: string): string {
  return isUnderSys(mountPoint) ? path.join(sysRoot, mountPoint.slice('/sys'.length)) : mountPoint;
}

function segments(cgroupPath: string): string[] {
  return cgroupPath.split('/').filter(segment => segment !== '' && segment !== '.');
}

/**
 * The cgroup path relative to the mount root, as segments; null when the path lies outside
 * the mounted part of the hierarchy (e.g. "/../.." seen across a cgroup namespace).
 */
function stripMountRoot(cgroupPath: string, mountRoot: string): string[] | null {
  const pathSegments = segments(cgroupPath);
  const rootSegments = segments(mountRoot);
  if (pathSegments.includes('..') || rootSegments.some((segment, i) => pathSegments[i] !== segment)) {
    return null;
  }
  return pathSegments.slice(rootSegments.length);
}

/** What every hierarchy's lookup shares: the roots, and this process's PID as /proc names it. */
interface LookupContext {
  sysRoot: string;
  /** With --sys-root given, only mounts under /sys are read: anything else would be this machine's. */
  readsOutsideSys: boolean;
  ownPid: () => number;
}

/** Bounds the one-off search for the process's cgroup below an inherited mount. */
const MAX_SEARCHED_DIRECTORIES = 5000;

/**
 * A cgroup namespace that kept the outer mount (`unshare -C` without remounting): the path
 * is relative to the namespace root, and the mount root is "/.." once per level the mounted
 * directory sits above it. The kernel prints the way from the namespace root to the mount
 * root through their closest common ancestor, so the namespace root lies below the mount
 * only when that way is "..", "..", ... alone, exactly that many levels down. The one of
 * those directories whose cgroup.procs lists this process (then the path below it) is ours.
 * Returns the segments below the mount point, or why nothing was found.
 */
export function findOwnCgroup(
  mountPoint: string,
  membership: CgroupMembership,
  mountRoot: string,
  pid: number,
  maxDirectories = MAX_SEARCHED_DIRECTORIES
): { relative: string[] } | { problem: string } {
  const rootSegments = segments(mountRoot);
  const below = segments(membership.path);
  const where = `cgroup path ${membership.path} is outside the mount root ${mountRoot}`;
  if (rootSegments.length === 0 || rootSegments.some(segment => segment !== '..') || below.includes('..')) {
    return { problem: `${where}; reading the mount point` };
  }
  let level: string[][] = [[]];
  let found = 0;
  for (let depth = 0; depth < rootSegments.length; depth++) {
    level = level.flatMap(relative =>
      readDirectories(path.join(mountPoint, ...relative)).map(name => [...relative, name])
    );
    found += level.length;
    if (found > maxDirectories) {
      return {
        problem: `${where}; more than ${maxDirectories} cgroups to search for PID ${pid}, reading the mount point`
      };
    }
  }
  const own = level
    .map(relative => [...relative, ...below])
    .find(relative => listsPid(path.join(mountPoint, ...relative), pid));
  return own !== undefined
    ? { relative: own }
    : {
        problem: `${where}; no cgroup ${rootSegments.length} level(s) below it lists PID ${pid} in cgroup.procs, reading the mount point`
      };
}

/** Subdirectory names; none when the directory cannot be listed (gone, or not ours to read). */
function readDirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter(entry => entry.isDirectory())
      .map(entry => entry.name);
  } catch {
    return [];
  }
}

function listsPid(dir: string, pid: number): boolean {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid));
  } catch {
    return false;
  }
}

/** The directory `relative` (segments) below the mount point, with its parents up to the mount point. */
function chainFrom(mountPoint: string, relative: string[]): CgroupLocation {
  const chain: string[] = [];
  for (let depth = relative.length; depth >= 0; depth--) {
    chain.push(path.join(mountPoint, ...relative.slice(0, depth)));
  }
  return { dir: chain[0], chain };
}

function locate(
  membership: CgroupMembership,
  candidates: CgroupMount[],
  context: LookupContext,
  problems: Problems
): CgroupLocation | null {
  // A later mount on the same mount point hides the earlier ones.
  const visible = candidates.filter(
    (mount, i) => !candidates.slice(i + 1).some(later => later.mountPoint === mount.mountPoint)
  );
  // Mounts under /sys first (the usual /sys/fs/cgroup; re-rooted under --sys-root), in mountinfo order.
  const readable = [
    ...visible.filter(mount => isUnderSys(mount.mountPoint)),
    ...visible.filter(mount => !isUnderSys(mount.mountPoint) && context.readsOutsideSys)
  ];
  if (readable.length === 0) {
    if (visible.length > 0) {
      problems.add(visible[0].mountPoint, `mount point outside /sys; not read with --sys-root ${context.sysRoot}`);
    }
    return null;
  }
  // Several mounts hold the path: one under /sys before any other, then the deepest root (the shortest remainder).
  const outsideSys = (mount: CgroupMount) => Number(!isUnderSys(mount.mountPoint));
  const best = readable
    .map(mount => ({ mount, relative: stripMountRoot(membership.path, mount.root) }))
    .filter((entry): entry is { mount: CgroupMount; relative: string[] } => entry.relative !== null)
    .sort((a, b) => outsideSys(a.mount) - outsideSys(b.mount) || a.relative.length - b.relative.length)[0];
  if (best !== undefined) {
    return chainFrom(reRoot(best.mount.mountPoint, context.sysRoot), best.relative);
  }
  const mount = readable[0];
  const mountPoint = reRoot(mount.mountPoint, context.sysRoot);
  const found = findOwnCgroup(mountPoint, membership, mount.root, context.ownPid());
  if ('problem' in found) {
    problems.add(mount.mountPoint, found.problem);
    return chainFrom(mountPoint, []);
  }
  return chainFrom(mountPoint, found.relative);
}

/** This process's PID as the given /proc names it (the first field of self/stat), else Node's. */
function readOwnPid(procRoot: string, problems: Problems): number {
  const stat = readOptional(path.join(procRoot, 'self/stat'), problems);
  const pid = Number(/^\s*(\d+)/.exec(stat ?? '')?.[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : process.pid;
}

/**
 * PSI of a hierarchy's root cgroup covers the whole machine; anywhere else, the cgroup's own
 * tasks. Only the root lacks cgroup.type (kernel 4.14, older than PSI); a namespace root
 * mounted afresh has it.
 */
function pressureScope(location: CgroupLocation): PressureScope {
  return location.chain.length === 1 && !fs.existsSync(path.join(location.dir, 'cgroup.type')) ? 'machine' : 'cgroup';
}

/**
 * Runs once per reader: reads /proc/self/cgroup, /proc/self/mountinfo and one cgroup.controllers
 * (and, below a mount inherited across a cgroup namespace, searches for the process's cgroup).
 */
export function discover(procRoot: string, sysRoot: string): Discovery {
  // Files read once: their descriptors are not kept past discovery.
  const files = new OpenFiles();
  try {
    return discoverWith(procRoot, sysRoot, new Problems(files));
  } finally {
    files.close();
  }
}

function discoverWith(procRoot: string, sysRoot: string, problems: Problems): Discovery {
  const cgroupText = readOptional(path.join(procRoot, 'self/cgroup'), problems);
  const memberships = cgroupText === null ? [] : parseProcCgroup(cgroupText);
  if (memberships.length === 0) {
    // A kernel without cgroups, or /proc from a machine that has none: host figures.
    return { kind: 'host', problems: problems.messages };
  }
  const mountinfoText = readRequired(path.join(procRoot, 'self/mountinfo'), problems);
  const mounts = mountinfoText === null ? [] : parseMountinfo(mountinfoText);

  let pid: number | undefined;
  const context: LookupContext = {
    sysRoot,
    readsOutsideSys: path.resolve(sysRoot) === '/sys',
    ownPid: () => (pid ??= readOwnPid(procRoot, problems))
  };
  // Joined v1 controllers (cpu,cpuacct) share one hierarchy: locate it, and report on it, once.
  const located = new Map<string, CgroupLocation | null>();
  const locateOnce = (membership: CgroupMembership, candidates: CgroupMount[]) => {
    const key = JSON.stringify([membership.path, candidates]);
    if (!located.has(key)) {
      located.set(key, locate(membership, candidates, context, problems));
    }
    return located.get(key)!;
  };

  const v2Membership = memberships.find(membership => membership.controllers.length === 0);
  const unified =
    v2Membership === undefined
      ? null
      : locateOnce(
          v2Membership,
          mounts.filter(mount => mount.version === 2)
        );

  const controllers: Partial<Record<V1Controller, CgroupLocation>> = {};
  for (const controller of V1_CONTROLLERS) {
    const membership = memberships.find(entry => entry.controllers.includes(controller));
    const candidates = mounts.filter(mount => mount.version === 1 && mount.controllers.includes(controller));
    const location = membership === undefined ? null : locateOnce(membership, candidates);
    if (location !== null) {
      controllers[controller] = location;
    }
  }
  const hasV1Resources = ['memory', 'cpu', 'cpuacct'].some(name => name in controllers);

  // Hybrid machines mount an empty v2 tree next to the v1 controllers: use v2 only when it
  // actually carries memory or cpu, or when there is nothing else.
  if (unified !== null) {
    const enabled = readOptional(path.join(unified.dir, 'cgroup.controllers'), problems);
    const v2Controllers = (enabled ?? '').trim().split(/\s+/);
    if (v2Controllers.includes('memory') || v2Controllers.includes('cpu') || !hasV1Resources) {
      return { kind: 'cgroup-v2', cgroup: unified, pressureScope: pressureScope(unified), problems: problems.messages };
    }
  }
  if (hasV1Resources) {
    const scope = unified && pressureScope(unified);
    return { kind: 'cgroup-v1', controllers, unified, pressureScope: scope, problems: problems.messages };
  }
  return { kind: 'host', problems: problems.messages };
}
