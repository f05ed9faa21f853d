/**
 * A real `jupyter lab` (or `jupyter notebook`, Notebook 7) from the test venv (where the built wheel is installed), on a free
 * loopback port with a known token, with its own settings, workspace, runtime and notebook
 * directories, optionally inside child cgroups or with an administrator's overrides.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupRefused, ChildCgroups, inCgroups, type CgroupLimits } from '../../test/helpers/cgroup';
import { ARTIFACTS, VENV } from '../../test/helpers/paths';
import { freePort } from '../../test/helpers/ports';

export const PLUGIN_ID = 'jupyterlab-cgroup-usage:plugin';
export const OOM_NOTIFIER_PLUGIN_ID = 'jupyterlab-cgroup-usage:oom-notifier';
/** Our plugin polling every second (the minimum) instead of 5 s keeps the tests short. */
export const FAST_REFRESH = { refreshRate: 1000 };

export interface LabOptions {
  /** Names the log file artifacts/lab-<name>.log. */
  name: string;
  /** The application to start: JupyterLab (the default) or Notebook 7. */
  app?: 'lab' | 'notebook';
  /** Start inside these cgroup directories. */
  cgroupDirs?: string[];
  /** Settings of our plugin in the user's settings (what the Settings Editor writes). */
  userSettings?: Record<string, unknown>;
  /** Contents of overrides.json in the application settings directory (the admin's defaults). */
  overrides?: Record<string, unknown>;
  /** Plugins to turn off with `jupyter labextension disable --level=user` before the start. */
  disabledPlugins?: string[];
  /** Extra environment, applied last (e.g. a PATH without node). */
  env?: Record<string, string>;
}

export interface LabInfo {
  /** Base URL, ending with '/'. */
  url: string;
  token: string;
  pid: number;
}

export interface Lab extends LabInfo {
  stop(): Promise<void>;
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/** Waits until the server answers /api/status, failing early if the process exits. */
async function waitUntilReady(url: string, token: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Jupyter server exited (${child.exitCode ?? child.signalCode}); see ${log}`);
    }
    try {
      const response = await fetch(`${url}api/status`, { headers: { Authorization: `token ${token}` } });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  throw new Error(`the Jupyter server did not answer within 90 s; see ${log}`);
}

export async function startLab(options: LabOptions): Promise<Lab> {
  const home = mkdtempSync(join(tmpdir(), `cgroup-usage-e2e-${options.name}-`));
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const url = `http://127.0.0.1:${port}/`;
  const userSettingsDir = join(home, 'user-settings');
  const appSettingsDir = join(home, 'app-settings');
  mkdirSync(join(home, 'notebooks'));

  // No news or update checks: they pop up toasts and reach for the network.
  writeJson(join(userSettingsDir, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'), {
    checkForUpdates: false,
    fetchNews: 'false'
  });
  if (options.userSettings) {
    writeJson(join(userSettingsDir, 'jupyterlab-cgroup-usage', 'plugin.jupyterlab-settings'), options.userSettings);
  }
  // Both are LabServerApps: the same traits under their own class names.
  const [binary, appClass] =
    options.app === 'notebook' ? ['jupyter-notebook', 'JupyterNotebookApp'] : ['jupyter-lab', 'LabApp'];
  const args = [
    join(VENV, 'bin', binary),
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${join(home, 'notebooks')}`,
    `--${appClass}.user_settings_dir=${userSettingsDir}`,
    `--${appClass}.workspaces_dir=${join(home, 'workspaces')}`
  ];
  if (options.overrides) {
    // The admin's overrides.json lives in the application settings directory
    // (<sys.prefix>/share/jupyter/lab/settings by default); a private one keeps the venv clean.
    writeJson(join(appSettingsDir, 'overrides.json'), options.overrides);
    args.push(`--${appClass}.app_settings_dir=${appSettingsDir}`);
  }
  if (process.getuid?.() === 0) {
    args.push('--allow-root');
  }
  const command = options.cgroupDirs ? inCgroups(options.cgroupDirs, args) : args;

  const env = {
    ...process.env,
    PATH: `${join(VENV, 'bin')}:${process.env.PATH}`,
    JUPYTER_CONFIG_DIR: join(home, 'config'),
    JUPYTER_DATA_DIR: join(home, 'data'),
    JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
    IPYTHONDIR: join(home, 'ipython'),
    ...options.env
  };
  for (const plugin of options.disabledPlugins ?? []) {
    // The user level is this lab's own JUPYTER_CONFIG_DIR.
    execFileSync(join(VENV, 'bin', 'jupyter'), ['labextension', 'disable', '--level=user', plugin], { env });
  }

  mkdirSync(ARTIFACTS, { recursive: true });
  const log = join(ARTIFACTS, `lab-${options.name}.log`);
  const logStream = createWriteStream(log);
  const child = spawn(command[0], command.slice(1), {
    cwd: join(home, 'notebooks'),
    // Its own process group, so stop() also reaches the sidecar it launches.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env
  });
  child.stdout?.pipe(logStream);
  child.stderr?.pipe(logStream);
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // the server shuts its kernels down on SIGTERM
      const timeout = new Promise<void>(resolve => setTimeout(resolve, 20000));
      await Promise.race([exited, timeout]);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL'); // whatever is left in its process group
    } catch {
      // nothing left
    }
    rmSync(home, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, token, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, token, pid: child.pid!, stop };
}

/** The sidecar process a lab launched: its pid and its command line. */
export function sidecarOf(labPid: number): { pid: number; args: string[] } | null {
  return sidecarsOf(labPid)[0] ?? null;
}

/** Every sidecar process a lab launched (there should be one at most). */
export function sidecarsOf(labPid: number): { pid: number; args: string[] }[] {
  const found: { pid: number; args: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === labPid && args.some(arg => arg.endsWith('cgroup-usage-sidecar.js'))) {
        found.push({ pid: Number(entry), args });
      }
    } catch {
      // the process went away while we looked
    }
  }
  return found;
}

/** A lab in child cgroups of its own with limits, or why the kernel refused them (the specs then skip). */
export interface LimitedLab {
  lab: Lab | null;
  cgroups: ChildCgroups | null;
  refused: string | null;
}

/** Makes child cgroups named after `options.name` with `limits` and starts the lab inside. */
export async function startLimitedLab(options: LabOptions, limits: CgroupLimits): Promise<LimitedLab> {
  let cgroups: ChildCgroups;
  try {
    cgroups = new ChildCgroups(`cgroup-usage-e2e-${process.pid}-${options.name}`, limits);
  } catch (error) {
    if (!(error instanceof CgroupRefused)) {
      throw error;
    }
    console.log(`SKIP ${options.name} tests: the kernel refused a child cgroup: ${error.message}`);
    return { lab: null, cgroups: null, refused: error.message };
  }
  return { lab: await startLab({ ...options, cgroupDirs: cgroups.dirs }), cgroups, refused: null };
}
