/**
 * A real Jupyter server on 127.0.0.1 for one case: started with the setup's extensions,
 * checked to serve exactly the setup's metrics routes, and torn down with every process
 * it started (kernels and their children, terminals, the sidecar).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { freePort } from '../../test/helpers/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandLine, descendants, isAlive, processId, signalAll, type ProcessId } from './proc.js';
import { extensionArgs, METRIC_ROUTES, type Setup } from './setups.js';
import type { Venv } from './venv.js';

const START_TIMEOUT_MS = 90_000;
/** The sidecar starts on the first proxied request; server-proxy waits up to 30 s for it. */
const ROUTE_CHECK_TIMEOUT_MS = 45_000;
const SHUTDOWN_GRACE_MS = 1_500;

export interface JupyterServer {
  /** http://127.0.0.1:PORT */
  url: string;
  token: string;
  pid: number;
  logFile: string;
  /** fetch() relative to the server, authenticated, bounded in time. */
  request(path: string, init?: { method?: string; body?: unknown; timeoutMs?: number }): Promise<Response>;
  /** The sidecar's pid (a descendant of the server), or null if it is not running. */
  sidecarPid(): number | null;
  stop(): Promise<void>;
}

/** Servers not yet stopped: what a Ctrl-C must tear down. */
const running = new Set<JupyterServer>();

export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map(server => server.stop()));
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startServer(setup: Setup, venv: Venv): Promise<JupyterServer> {
  const home = mkdtempSync(join(tmpdir(), `bench-ui-${setup.name}-`));
  const logFile = join(home, 'server.log');
  // A private config dir: nothing from ~/.jupyter leaks in; the terminal runs a bare bash.
  writeFileSync(
    join(home, 'jupyter_server_config.json'),
    JSON.stringify({
      ServerApp: { terminado_settings: { shell_command: ['/bin/bash', '--norc', '--noprofile', '-i'] } }
    })
  );
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const log = openSync(logFile, 'a');
  const child = spawn(
    venv.jupyterServer,
    [
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.open_browser=False',
      // This workplace runs as root; harmless elsewhere.
      '--ServerApp.allow_root=True',
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${home}`,
      ...extensionArgs(setup),
      ...setup.args
    ],
    {
      cwd: home,
      // Its own process group: a Ctrl-C reaches only us, and we tear it down in order.
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: home,
        JUPYTER_DATA_DIR: join(home, 'data'),
        JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
        JUPYTER_PLATFORM_DIRS: '1'
      }
    }
  );
  closeSync(log);
  const serverId = processId(child.pid!);
  const url = `http://127.0.0.1:${port}`;

  const request: JupyterServer['request'] = (path, init = {}) =>
    fetch(url + path, {
      method: init.method ?? 'GET',
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000)
    });

  let stopped: Promise<void> | null = null;
  const server: JupyterServer = {
    url,
    token,
    pid: child.pid!,
    logFile,
    request,
    sidecarPid() {
      const found = descendants(child.pid!).find(({ pid }) => commandLine(pid).includes('cgroup-usage-sidecar'));
      return found?.pid ?? null;
    },
    stop() {
      stopped ??= (async () => {
        // Everything the server started, found before anything dies (orphans leave the tree).
        const tree: ProcessId[] = serverId ? descendants(serverId.pid) : [];
        signalAll(tree, 'SIGKILL');
        if (serverId && isAlive(serverId)) {
          process.kill(serverId.pid, 'SIGTERM');
          // Its own shutdown takes seconds waiting on kernels that are already gone.
          if (!(await exited(child, SHUTDOWN_GRACE_MS)) && isAlive(serverId)) process.kill(serverId.pid, 'SIGKILL');
        }
        await exited(child, 5_000);
        signalAll(tree, 'SIGKILL');
        running.delete(server);
        rmSync(home, { recursive: true, force: true });
      })();
      return stopped;
    }
  };
  running.add(server);

  try {
    await waitReady(server, child);
    await checkRoutes(server, setup);
  } catch (error) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await server.stop();
    throw new Error(`${setup.name}: ${(error as Error).message}\n--- server log (tail) ---\n${tail}`);
  }
  return server;
}

async function waitReady(server: JupyterServer, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jupyter server exited with ${child.exitCode}`);
    try {
      if ((await server.request('/api/status', { timeoutMs: 2_000 })).ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`jupyter server not ready after ${START_TIMEOUT_MS / 1000} s`);
}

/** The setup's routes answer 200 with JSON; the other setups' routes 404. */
async function checkRoutes(server: JupyterServer, setup: Setup): Promise<void> {
  for (const route of METRIC_ROUTES) {
    const response = await server.request(route, { timeoutMs: ROUTE_CHECK_TIMEOUT_MS });
    const body = await response.text();
    const expected = setup.answers.includes(route) ? 200 : 404;
    if (response.status !== expected) {
      throw new Error(`GET ${route} answered ${response.status}, expected ${expected}: ${body.slice(0, 200)}`);
    }
    if (expected === 200) JSON.parse(body);
  }
  if (setup.answers.some(route => route.startsWith('/cgroup-usage/')) && server.sidecarPid() === null) {
    throw new Error('the sidecar answered but no cgroup-usage-sidecar process runs under the server');
  }
}
