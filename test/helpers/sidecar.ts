/** The sidecar as the installed wheel runs it, for comparing the UI with `--once`. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Sample } from '../../src/sample';
import { cgroupDirsOf, inCgroups } from './cgroup';
import { VENV } from './paths';

/**
 * The command jupyter-server-proxy runs (serverproxy.py decides node, its flags and the bundle),
 * as installed in `python`'s venv (-I: the installed package, not a checkout's in the working directory).
 */
export function sidecarCommand(python = join(VENV, 'bin', 'python')): string[] {
  const script =
    'import json; from jupyterlab_cgroup_usage.serverproxy import sidecar_command; print(json.dumps(sidecar_command()))';
  return JSON.parse(execFileSync(python, ['-I', '-c', script], { encoding: 'utf8', timeout: 60_000 })) as string[];
}

/** One `--once` sample taken inside the cgroups of process `pid` (e.g. a JupyterLab). */
export function onceInCgroupsOf(pid: number): Sample {
  const command = sidecarCommand();
  const once = [...command.slice(0, command.indexOf('--unix-socket')), '--once'];
  const [file, ...args] = inCgroups(cgroupDirsOf(pid), once);
  return JSON.parse(execFileSync(file, args, { encoding: 'utf8' })) as Sample;
}
