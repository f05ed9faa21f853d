/**
 * Finding the process's cgroup directories, once, when the reader is created.
 *
 * /proc/self/cgroup names the cgroup path per hierarchy ("0::/path" for v2,
 * "N:ctrl,ctrl:/path" for v1); /proc/self/mountinfo says where each hierarchy is mounted and
 * which part of it (the mount's root field). The directory to read is the mount point joined
 * with the cgroup path minus the mount root: with a cgroup namespace both are usually "/",
 * in a Docker v1 container both are "/docker/<id>", on a plain host the root is "/" and the
 * path is long (e.g. kubepods.slice/...).
 */
import * as path from 'node:path';

import { Problems, readOptional, readRequired } from './files.js';

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
  | { kind: 'cgroup-v2'; cgroup: CgroupLocation; problems: string[] }
  | {
      kind: 'cgroup-v1';
      controllers: Partial<Record<V1Controller, CgroupLocation>>;
      /** The v2 directory on a hybrid machine: where PSI files live, if anywhere. */
      unified: CgroupLocation | null;
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

/** A mount point under /sys is read under --sys-root instead. */
function reRoot(mountPoint: string, sysRoot: string): string {
  if (mountPoint === '/sys' || mountPoint.startsWith('/sys/')) {
    return path.join(sysRoot, mountPoint.slice('/sys'.length));
  }
  return mountPoint;
}

function segments(cgroupPath: string): string[] {
  return cgroupPath.split('/').filter((segment) => segment !== '' && segment !== '.');
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

function locate(
  membership: CgroupMembership,
  candidates: CgroupMount[],
  sysRoot: string,
  problems: Problems
): CgroupLocation | null {
  if (candidates.length === 0) {
    return null;
  }
  // Several mounts of one hierarchy: use one whose root contains the path, the deepest such.
  const containing = candidates
    .map((mount) => ({ mount, relative: stripMountRoot(membership.path, mount.root) }))
    .filter((entry): entry is { mount: CgroupMount; relative: string[] } => entry.relative !== null)
    .sort((a, b) => a.relative.length - b.relative.length);
  const mountPoint = reRoot((containing[0]?.mount ?? candidates[0]).mountPoint, sysRoot);
  if (containing.length === 0) {
    problems.add(
      candidates[0].mountPoint,
      `cgroup path ${membership.path} is outside the mount root ${candidates[0].root}; reading the mount point`
    );
  }
  const relative = containing[0]?.relative ?? [];
  const chain: string[] = [];
  for (let depth = relative.length; depth >= 0; depth--) {
    chain.push(path.join(mountPoint, ...relative.slice(0, depth)));
  }
  return { dir: chain[0], chain };
}

/** Runs once per reader: reads /proc/self/cgroup, /proc/self/mountinfo and one cgroup.controllers. */
export function discover(procRoot: string, sysRoot: string): Discovery {
  const problems = new Problems();
  const cgroupText = readOptional(path.join(procRoot, 'self/cgroup'), problems);
  const memberships = cgroupText === null ? [] : parseProcCgroup(cgroupText);
  if (memberships.length === 0) {
    // A kernel without cgroups, or /proc from a machine that has none: host figures.
    return { kind: 'host', problems: problems.messages };
  }
  const mountinfoText = readRequired(path.join(procRoot, 'self/mountinfo'), problems);
  const mounts = mountinfoText === null ? [] : parseMountinfo(mountinfoText);

  const v2Membership = memberships.find((membership) => membership.controllers.length === 0);
  const unified =
    v2Membership === undefined
      ? null
      : locate(v2Membership, mounts.filter((mount) => mount.version === 2), sysRoot, problems);

  const controllers: Partial<Record<V1Controller, CgroupLocation>> = {};
  for (const controller of V1_CONTROLLERS) {
    const membership = memberships.find((entry) => entry.controllers.includes(controller));
    const candidates = mounts.filter((mount) => mount.version === 1 && mount.controllers.includes(controller));
    const location = membership === undefined ? null : locate(membership, candidates, sysRoot, problems);
    if (location !== null) {
      controllers[controller] = location;
    }
  }
  const hasV1Resources = ['memory', 'cpu', 'cpuacct'].some((name) => name in controllers);

  // Hybrid machines mount an empty v2 tree next to the v1 controllers: use v2 only when it
  // actually carries memory or cpu, or when there is nothing else.
  if (unified !== null) {
    const enabled = readOptional(path.join(unified.dir, 'cgroup.controllers'), problems);
    const v2Controllers = (enabled ?? '').trim().split(/\s+/);
    if (v2Controllers.includes('memory') || v2Controllers.includes('cpu') || !hasV1Resources) {
      return { kind: 'cgroup-v2', cgroup: unified, problems: problems.messages };
    }
  }
  if (hasV1Resources) {
    return { kind: 'cgroup-v1', controllers, unified, problems: problems.messages };
  }
  return { kind: 'host', problems: problems.messages };
}
