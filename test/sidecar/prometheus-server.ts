/**
 * A real Prometheus (Debian's `prometheus`) for the tests: started on a free loopback port with
 * a temporary TSDB and the scrape targets given, queried through its HTTP API, stopped after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { setTimeout as delay } from 'node:timers/promises';

/** Why Prometheus cannot run here, or null when it can. */
export function prometheusUnavailable(): string | null {
  const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    return `prometheus cannot be run (${probe.error.message}): install Debian's prometheus package`;
  }
  return probe.status === 0 ? null : `prometheus --version exited ${probe.status}: ${probe.stderr}`;
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusServer {
  private log = '';

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
  }

  /**
   * Starts Prometheus scraping `targets` (host:port) as job `job` every `interval` (a Prometheus
   * duration; rules are evaluated as often), with `ruleFiles` loaded.
   */
  static async start(
    job: string,
    targets: string[],
    ruleFiles: string[] = [],
    interval = '1s'
  ): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'cgroup-usage-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      JSON.stringify({
        global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
        rule_files: ruleFiles,
        scrape_configs: [{ job_name: job, static_configs: [{ targets }] }]
      })
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn'
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    await server.until('Prometheus ready', 60_000, async () => (await fetch(`${server.url}/-/ready`)).status === 200);
    return server;
  }

  /** Waits until `condition` holds (errors count as not yet), or throws after `deadlineMs`. */
  async until(what: string, deadlineMs: number, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`prometheus exited ${this.child.exitCode} while waiting for ${what}: ${this.log}`);
      }
      try {
        if (await condition()) {
          return;
        }
      } catch (error) {
        last = String(error);
      }
      await delay(100);
    }
    throw new Error(`no ${what} within ${deadlineMs} ms ${last}; prometheus log: ${this.log}`);
  }

  /** The health of every scrape target ('up', 'down', 'unknown'). */
  async targetHealth(): Promise<string[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string }[] };
    };
    return body.data.activeTargets.map(target => target.health);
  }

  /** An instant query; throws with Prometheus' error when it fails. */
  async query(promql: string): Promise<VectorSample[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { resultType: string; result: VectorSample[] };
    };
    if (body.status !== 'success') {
      throw new Error(`query ${promql}: ${body.error}`);
    }
    return body.data.result;
  }

  /** The Prometheus process's id, for what /proc says about it. */
  get pid(): number {
    return this.child.pid!;
  }

  /** For exit handlers, which cannot wait: kills Prometheus at once and removes its directory. */
  killNow(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
