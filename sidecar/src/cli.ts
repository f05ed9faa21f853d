#!/usr/bin/env node
/**
 * Entry point of the sidecar: `--once` prints one sample; otherwise the sampler runs and
 * the server answers on a Unix socket or a TCP port until SIGTERM, SIGINT or SIGHUP, after
 * which it exits with the shell's 128+n: a non-zero status is what makes jupyter-server-proxy
 * (simpervisor) start it again, while its own shutdown of the sidecar never restarts it.
 */
// First: keeps SIGUSR1 from opening the inspector while the rest loads.
import './noInspector.js';
import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { KernelScanner } from './kernels.js';
import { installLastResort, stderrLine } from './lastResort.js';
import { parseOptions, USAGE, UsageError, type CliOptions } from './options.js';
import { createReader } from './reader.js';
import type { Reader } from './reading.js';
import { CPU_WINDOW_MS, Sampler, timedRead, toSample } from './sampler.js';
import { SidecarServer } from './server.js';

const NAME = 'cgroup-usage-sidecar';
/** Shutdown waits this long for connections to close before exiting anyway. */
const SHUTDOWN_GRACE_MS = 2000;

async function printOneSample(reader: Reader): Promise<void> {
  const first = await timedRead(reader);
  await delay(CPU_WINDOW_MS);
  const second = await timedRead(reader);
  process.stdout.write(`${JSON.stringify(toSample(first, second, Date.now()), null, 2)}\n`);
}

async function serve(reader: Reader, options: CliOptions): Promise<void> {
  const sampler = new Sampler(reader, options.intervalMs);
  const kernels = new KernelScanner({ procRoot: options.procRoot, serverPid: options.serverPid });
  const server = new SidecarServer(sampler, {}, kernels);
  sampler.start();
  const scrape = options.scrape;
  const listening = server
    .listen(options.listen)
    .then(async where => (scrape ? [where, await server.listenScrape(scrape.host, scrape.port)] : [where]));
  // Handlers go in before anything is printed: whoever reads "listening on" may signal at once.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    const status = 128 + constants.signals[signal];
    sampler.stop();
    setTimeout(() => process.exit(status), SHUTDOWN_GRACE_MS).unref();
    void listening
      .catch(() => undefined)
      .then(() => server.close())
      .finally(() => process.exit(status));
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => stop(signal));
  }
  let where: string[];
  try {
    where = await listening;
  } catch (error) {
    process.stderr.write(`${NAME}: cannot listen: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  installLastResort(line => stderrLine(`${NAME}: ${line}`));
  process.stderr.write(`${NAME}: listening on ${where[0]}\n`);
  if (where[1] !== undefined) {
    process.stderr.write(`${NAME}: serving /metrics for scraping on ${where[1]}\n`);
  }
}

async function main(argv: string[]): Promise<void> {
  let options: CliOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${NAME}: ${error.message} (see --help)\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const reader = createReader({
    procRoot: options.procRoot,
    sysRoot: options.sysRoot,
    diskPath: options.diskPath,
    env: process.env
  });
  await (options.once ? printOneSample(reader) : serve(reader, options));
}

void main(process.argv.slice(2));
