/**
 * The sidecar against a real cgroup of this machine: child cgroups with a 512 MiB memory
 * limit and a 0.5-CPU quota, a workload holding ~300 MiB in them and the sidecar (`--once`)
 * inside the same cgroups. Needs root and a writable cgroupfs; where the kernel refuses,
 * the test is skipped with the reason. The cgroups are made and removed by the end-to-end
 * tests' helper (test/helpers/cgroup.ts), which handles v1 and v2.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { it, type TestContext } from 'node:test';
import { ChildCgroups, CgroupRefused, inCgroups } from '../helpers/cgroup.js';
import { assertContractSample } from './contract-shape.js';

const ROOT = resolve(__dirname, '../..');
const MiB = 1024 * 1024;
const MEMORY_LIMIT = 512 * MiB;
const WORKLOAD_BYTES = 300 * MiB;

/** Runs `command` inside the cgroups (the shell joins them, then execs: same pid), limits from the cgroup only. */
function spawnInCgroups(cgroups: ChildCgroups, command: string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MEM_LIMIT;
  delete env.CPU_LIMIT;
  const [shell, ...args] = inCgroups(cgroups.dirs, command) as [string, ...string[]];
  return spawn(shell, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function skip(t: TestContext, reason: string): void {
  console.log(`# skipped: ${reason}`);
  t.skip(reason);
}

it('reports the limits and working set of a real cgroup it runs in', async t => {
  if (process.platform !== 'linux') {
    skip(t, 'not Linux');
    return;
  }
  if (process.getuid?.() !== 0) {
    skip(t, 'not root: cannot create cgroups');
    return;
  }
  let cgroups: ChildCgroups;
  try {
    cgroups = new ChildCgroups(`cgroup-usage-test-${process.pid}-${randomBytes(4).toString('hex')}`, {
      memoryBytes: MEMORY_LIMIT,
      cpuQuotaUs: 50000
    });
  } catch (error) {
    if (error instanceof CgroupRefused) {
      skip(t, error.message);
      return;
    }
    throw error;
  }
  try {
    // Fill every page (not zeroes, which could stay unbacked) and hold them.
    const workload = spawnInCgroups(cgroups, [
      process.execPath,
      '-e',
      `globalThis.held = Buffer.alloc(${WORKLOAD_BYTES}, 1); console.log('ready'); setInterval(() => {}, 1 << 30);`
    ]);
    const [ready] = (await Promise.race([
      once(workload.stdout as NodeJS.ReadableStream, 'data'),
      once(workload, 'exit').then(([code]) => {
        throw new Error(`workload exited with ${String(code)} before it was ready`);
      })
    ])) as [Buffer];
    assert.equal(ready.toString().trim(), 'ready');

    const sidecar = spawnInCgroups(cgroups, [process.execPath, '--import', 'tsx', 'sidecar/src/cli.ts', '--once']);
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
    assert.ok(sample.source === 'cgroup-v1' || sample.source === 'cgroup-v2', sample.source);
    assert.equal(sample.memory.limit, MEMORY_LIMIT);
    assert.equal(sample.memory.limitSource, 'cgroup');
    assert.equal(sample.cpu.limit, 0.5);
    assert.equal(sample.cpu.limitSource, 'cgroup');
    const workingSet = sample.memory.used as number;
    assert.ok(workingSet >= 300e6, `working set ${workingSet} < 300 MB`);
    assert.ok(workingSet <= MEMORY_LIMIT, `working set ${workingSet} above the limit`);
    assert.ok((sample.memory.usage as number) >= workingSet);
  } finally {
    // Kills what is still inside (the workload), then removes the directories.
    await cgroups.remove();
  }
});
