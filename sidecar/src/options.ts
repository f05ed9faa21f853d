/**
 * The sidecar's command line (docs/sidecar.md), parsed strictly with node:util parseArgs.
 * Any problem becomes a UsageError whose message is one line naming the option.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ListenTarget } from './server.js';

export const USAGE = `Usage: cgroup-usage-sidecar [options]

Samples this container's CPU and memory from its cgroup files and serves them.

  --once               take one sample, print it as JSON on stdout, exit
  --unix-socket PATH   listen on a Unix socket (mode 0600)
  --port N             listen on TCP port N (default 0: any free port)
  --host H             TCP address to listen on (default 127.0.0.1)
  --metrics-port N     also serve /metrics (and only it) on TCP port N, for a Prometheus
                       scrape without Jupyter's login (0: any free port)
  --metrics-address H  address of --metrics-port (default 127.0.0.1)
  --interval MS        sampling interval in milliseconds (default 1000)
  --proc-root DIR      read /proc from DIR (default /proc)
  --sys-root DIR       read /sys from DIR (default /sys)
  --disk-path PATH     filesystem whose usage is reported (default: the working directory)
  --server-pid PID     list the kernels below process PID (default: the sidecar's parent,
                       the Jupyter server that started it)
  --help               show this help

Routes: GET / , /api/v1/metrics, /api/v1/history?seconds=N, /api/v1/stream (WebSocket),
/api/metrics/v1 (jupyter-resource-usage shape), /metrics (Prometheus),
/api/v1/kernels, POST /api/v1/kernels/ID/pss (per-kernel figures).
Environment: MEM_LIMIT (bytes) and CPU_LIMIT (cores) apply where the cgroup sets no limit.
`;

/** Bounds of --interval: below 50 ms the reads themselves become the load; above an hour nothing is live. */
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 3_600_000;

export class UsageError extends Error {}

export interface CliOptions {
  help: boolean;
  once: boolean;
  listen: ListenTarget;
  /** The scrape-only listener, if asked for. */
  scrape: { host: string; port: number } | null;
  intervalMs: number;
  procRoot: string;
  sysRoot: string;
  diskPath: string;
  /** The process whose kernels /api/v1/kernels lists. */
  serverPid: number;
}

/** A whole number within [min, max], or a UsageError naming the option. */
function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`--${option}: expected a whole number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function directory(option: string, path: string): string {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) {
    throw new UsageError(`--${option}: '${path}' is not a directory`);
  }
  return path;
}

/** parseArgs' own messages run over several sentences; keep the first, which names the option. */
function parseError(error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  return new UsageError(message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? message);
}

export function parseOptions(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        once: { type: 'boolean' },
        'unix-socket': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-address': { type: 'string' },
        interval: { type: 'string' },
        'proc-root': { type: 'string' },
        'sys-root': { type: 'string' },
        'disk-path': { type: 'string' },
        'server-pid': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }));
  } catch (error) {
    throw parseError(error);
  }
  const socket = values['unix-socket'];
  if (socket !== undefined && (values.port !== undefined || values.host !== undefined)) {
    throw new UsageError('--unix-socket: cannot be combined with --port or --host');
  }
  if (socket === '') {
    throw new UsageError('--unix-socket: expected a path');
  }
  if (values.host === '') {
    throw new UsageError('--host: expected an address');
  }
  const metricsPort = values['metrics-port'];
  const metricsAddress = values['metrics-address'];
  if (metricsAddress !== undefined && metricsPort === undefined) {
    throw new UsageError('--metrics-address: needs --metrics-port');
  }
  if (metricsAddress === '') {
    throw new UsageError('--metrics-address: expected an address');
  }
  const listen: ListenTarget =
    socket !== undefined
      ? { unixSocket: socket }
      : { host: values.host ?? '127.0.0.1', port: wholeNumber('port', values.port ?? '0', 0, 65535) };
  return {
    help: values.help ?? false,
    once: values.once ?? false,
    listen,
    scrape:
      metricsPort === undefined
        ? null
        : { host: metricsAddress ?? '127.0.0.1', port: wholeNumber('metrics-port', metricsPort, 0, 65535) },
    intervalMs: wholeNumber('interval', values.interval ?? '1000', MIN_INTERVAL_MS, MAX_INTERVAL_MS),
    procRoot: directory('proc-root', values['proc-root'] ?? '/proc'),
    sysRoot: directory('sys-root', values['sys-root'] ?? '/sys'),
    diskPath: values['disk-path'] ?? process.cwd(),
    serverPid:
      values['server-pid'] === undefined ? process.ppid : wholeNumber('server-pid', values['server-pid'], 1, 4_194_304)
  };
}
