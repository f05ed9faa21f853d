/**
 * The sidecar against a real cgroup of this machine: child cgroups with a 512 MiB memory
 * limit and a 0.5-CPU quota, a workload holding ~300 MiB in them and the sidecar (`--once`)
 * inside the same cgroups. Needs root and a writable cgroupfs; where the kernel refuses,
 * the test is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { it, type TestContext } from 'node:test';
import { assertContractSample } from './contract-shape.js';

const ROOT = resolve(__dirname, '../..');
const CGROUP_ROOT = '/sys/fs/cgroup';
const MiB = 1024 * 1024;
const MEMORY_LIMIT = 512 * MiB;
const WORKLOAD_BYTES = 300 * MiB;

/** The child cgroup directories made for one run, and how to set their limits. */
interface TestCgroups {
  version: 'cgroup-v1' | 'cgroup-v2';
  /** Directories created, deepest last; the workload and the sidecar join each. */
  dirs: string[];
  setLimits(): Promise<void>;
}

/** `controller` -> the cgroup path of this process in that v1 hierarchy. */
function v1Paths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers && path !== undefined) {
      paths.set(controllers, path);
    }
  }
  return paths;
}

/**
 * Plans child cgroups next to this process's own: under its memory cgroup (v1) so that any
 * limit the machine sets still applies, and a fresh cgroup at the top of the unified tree (v2).
 */
function planCgroups(name: string): TestCgroups | string {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) {
    const dir = join(CGROUP_ROOT, name);
    const enabled = readFileSync(join(CGROUP_ROOT, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
    if (!enabled.includes('memory') || !enabled.includes('cpu')) {
      return 'cgroup v2: memory and cpu are not enabled in the root cgroup.subtree_control';
    }
    return {
      version: 'cgroup-v2',
      dirs: [dir],
      async setLimits() {
        await writeFile(join(dir, 'memory.max'), String(MEMORY_LIMIT));
        await writeFile(join(dir, 'cpu.max'), '50000 100000');
      }
    };
  }
  const paths = v1Paths();
  const hierarchy = (controller: string): [string, string] | undefined => {
    for (const [controllers, path] of paths) {
      if (controllers.split(',').includes(controller)) {
        return [join(CGROUP_ROOT, controllers), path];
      }
    }
    return undefined;
  };
  const memory = hierarchy('memory');
  const cpu = hierarchy('cpu');
  if (!memory || !cpu || !existsSync(memory[0]) || !existsSync(cpu[0])) {
    return 'cgroup v1: no memory or cpu hierarchy mounted under /sys/fs/cgroup';
  }
  const memoryDir = join(memory[0], memory[1], name);
  const cpuDir = join(cpu[0], cpu[1], name);
  const dirs = [memoryDir, cpuDir];
  // CPU time comes from cpuacct, a hierarchy of its own on some machines (this one).
  const cpuacct = hierarchy('cpuacct');
  if (cpuacct && cpuacct[0] !== cpu[0] && existsSync(cpuacct[0])) {
    dirs.push(join(cpuacct[0], cpuacct[1], name));
  }
  return {
    version: 'cgroup-v1',
    dirs,
    async setLimits() {
      await writeFile(join(memoryDir, 'memory.limit_in_bytes'), String(MEMORY_LIMIT));
      await writeFile(join(cpuDir, 'cpu.cfs_period_us'), '100000');
      await writeFile(join(cpuDir, 'cpu.cfs_quota_us'), '50000');
    }
  };
}

/** Runs `command` after moving the shell into every cgroup in `dirs` (exec keeps the pid). */
function spawnInCgroups(dirs: string[], command: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, CGROUP_PROCS: dirs.map((dir) => join(dir, 'cgroup.procs')).join(' ') };
  // Limits must come from the cgroup, not from the environment.
  delete env.MEM_LIMIT;
  delete env.CPU_LIMIT;
  return spawn('sh', ['-c', 'for procs in $CGROUP_PROCS; do echo $$ > "$procs" || exit 97; done; exec "$@"', 'sh', ...command], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
}

/** Kills what is left and removes the cgroups; rmdir waits for the kernel to let go of exited tasks. */
async function cleanUp(children: ChildProcess[], dirs: string[]): Promise<void> {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
  for (const dir of [...dirs].reverse()) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          break;
        }
        if (code !== 'EBUSY' || attempt >= 50) {
          console.log(`# could not remove ${dir}: ${String(error)}`);
          break;
        }
        await delay(100);
      }
    }
  }
}

/** Why this machine cannot run the test, or null. */
async function prepare(cgroups: TestCgroups, made: string[]): Promise<string | null> {
  for (const dir of cgroups.dirs) {
    try {
      await mkdir(dir);
      made.push(dir);
    } catch (error) {
      return `cannot create ${dir}: ${(error as Error).message}`;
    }
  }
  try {
    await cgroups.setLimits();
  } catch (error) {
    return `cannot set limits: ${(error as Error).message}`;
  }
  return null;
}

function skip(t: TestContext, reason: string): void {
  console.log(`# skipped: ${reason}`);
  t.skip(reason);
}

it('reports the limits and working set of a real cgroup it runs in', async (t) => {
  if (process.platform !== 'linux') {
    skip(t, 'not Linux');
    return;
  }
  if (process.getuid?.() !== 0) {
    skip(t, 'not root: cannot create cgroups');
    return;
  }
  const cgroups = planCgroups(`cgroup-usage-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  if (typeof cgroups === 'string') {
    skip(t, cgroups);
    return;
  }
  const made: string[] = [];
  const children: ChildProcess[] = [];
  try {
    const refused = await prepare(cgroups, made);
    if (refused !== null) {
      skip(t, refused);
      return;
    }
    // Fill every page (not zeroes, which could stay unbacked) and hold them.
    const workload = spawnInCgroups(cgroups.dirs, [
      process.execPath,
      '-e',
      `globalThis.held = Buffer.alloc(${WORKLOAD_BYTES}, 1); console.log('ready'); setInterval(() => {}, 1 << 30);`
    ]);
    children.push(workload);
    const [ready] = (await Promise.race([
      once(workload.stdout as NodeJS.ReadableStream, 'data'),
      once(workload, 'exit').then(([code]) => {
        throw new Error(`workload exited with ${String(code)} before it was ready`);
      })
    ])) as [Buffer];
    assert.equal(ready.toString().trim(), 'ready');

    const sidecar = spawnInCgroups(cgroups.dirs, [process.execPath, '--import', 'tsx', 'sidecar/src/cli.ts', '--once']);
    children.push(sidecar);
    let stdout = '';
    let stderr = '';
    sidecar.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    sidecar.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(sidecar, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);

    const sample = assertContractSample(JSON.parse(stdout));
    console.log(
      `# ${sample.source}: working set ${sample.memory.used}, usage ${sample.memory.usage}, ` +
        `limit ${sample.memory.limit} (${sample.memory.limitSource}), cpu limit ${sample.cpu.limit} (${sample.cpu.limitSource})`
    );
    assert.equal(sample.source, cgroups.version);
    assert.equal(sample.memory.limit, MEMORY_LIMIT);
    assert.equal(sample.memory.limitSource, 'cgroup');
    assert.equal(sample.cpu.limit, 0.5);
    assert.equal(sample.cpu.limitSource, 'cgroup');
    const workingSet = sample.memory.used as number;
    assert.ok(workingSet >= 300e6, `working set ${workingSet} < 300 MB`);
    assert.ok(workingSet <= MEMORY_LIMIT, `working set ${workingSet} above the limit`);
    assert.ok((sample.memory.usage as number) >= workingSet);
  } finally {
    await cleanUp(children, made);
  }
});
