/**
 * Per-kernel figures from the real /proc: this test process plays the Jupyter server and
 * starts two kernels the way launchers do, with a connection file on the command line: a real
 * ipykernel from the test venv, and a Node.js stand-in for another language whose two children
 * hold 64 MiB each and spin.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { KernelsResponse, KernelUsage } from '../../src/sample.js';
import { KernelScanner } from '../../sidecar/src/kernels.js';
import { PssMeter } from '../../sidecar/src/pss.js';
import { VENV } from '../helpers/paths.js';

const MiB = 1024 * 1024;
const DEADLINE_MS = 60_000;

/**
 * A kernel in another language: two children that each touch 64 MiB, one of which spins. It
 * prints "ready" once both children hold their memory.
 */
const STAND_IN = `
const { fork } = require('node:child_process');
if (process.argv[2] === 'child') {
  globalThis.held = Buffer.alloc(64 * 1024 * 1024, 1);
  process.send('held', () => {
    if (process.argv[3] === 'spin') { for (;;) {} }
  });
  setInterval(() => {}, 1 << 30);
} else {
  let held = 0;
  for (const mode of ['spin', 'idle']) {
    fork(__filename, ['child', mode]).on('message', () => {
      if (++held === 2) console.log('ready');
    });
  }
  setInterval(() => {}, 1 << 30);
}`;

/** Resolves once `child` printed `line`; fails after DEADLINE_MS. */
function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" in ${DEADLINE_MS} ms: ${output}`)), DEADLINE_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Scans until `ready` holds for the answer, or fails after DEADLINE_MS with the last answer. */
async function scanUntil(
  scanner: KernelScanner,
  ready: (answer: KernelsResponse) => boolean
): Promise<KernelsResponse> {
  const deadline = Date.now() + DEADLINE_MS;
  let answer = await scanner.scan();
  while (!ready(answer)) {
    if (Date.now() > deadline) {
      assert.fail(`condition not met in ${DEADLINE_MS} ms; last answer: ${JSON.stringify(answer)}`);
    }
    await delay(200);
    answer = await scanner.scan();
  }
  return answer;
}

describe('two real kernels below this process', () => {
  let runtime: string;
  let standInScript: string;
  const children: ChildProcess[] = [];
  let standInReady: Promise<void>;
  const ipykernelId = randomUUID();
  const standInId = randomUUID();
  const find = (answer: KernelsResponse, id: string): KernelUsage | undefined =>
    answer.kernels.find(kernel => kernel.id === id);

  before(async () => {
    runtime = await mkdtemp(join(tmpdir(), 'kernels-real-'));
    standInScript = join(runtime, 'stand-in.js');
    await writeFile(standInScript, STAND_IN);
    const python = join(VENV, 'bin', 'python');
    children.push(
      spawn(python, ['-m', 'ipykernel_launcher', '-f', join(runtime, `kernel-${ipykernelId}.json`)], {
        stdio: 'ignore',
        detached: true
      }),
      spawn(process.execPath, [standInScript, join(runtime, `kernel-${standInId}.json`)], {
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true
      })
    );
    standInReady = printed(children[1], 'ready');
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        // Each kernel leads its own process group: killing the group ends its children too.
        const exited = once(child, 'exit');
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
      }
    }
    await rm(runtime, { recursive: true, force: true });
  });

  it('lists both with their processes, memory and CPU in use, the larger first', async () => {
    await standInReady;
    const scanner = new KernelScanner({ procRoot: '/proc', serverPid: process.pid });
    const answer = await scanUntil(scanner, latest => {
      const standIn = find(latest, standInId);
      const ipykernel = find(latest, ipykernelId);
      return (
        ipykernel !== undefined &&
        standIn?.processes === 3 &&
        standIn.rss > 128 * MiB &&
        standIn.cpu !== null &&
        standIn.cpu > 0.3
      );
    });
    const ipykernel = find(answer, ipykernelId)!;
    const standIn = find(answer, standInId)!;
    assert.equal(ipykernel.pid, children[0].pid);
    assert.match(ipykernel.command, /^python/);
    assert.ok(ipykernel.rss > 20 * MiB && ipykernel.rss < 1024 * MiB, `ipykernel RSS ${ipykernel.rss}`);
    assert.ok(ipykernel.processes >= 1);
    assert.equal(standIn.pid, children[1].pid);
    assert.equal(standIn.command, 'node');
    assert.ok(standIn.cpu! < 2.5, `CPU ${standIn.cpu}`);
    assert.ok(
      answer.kernels.indexOf(standIn) < answer.kernels.indexOf(ipykernel) || standIn.rss < ipykernel.rss,
      'sorted by RSS'
    );
    assert.deepEqual(answer.errors, []);
  });

  it("measures the stand-in's PSS: no more than its RSS, at least what its children hold", async () => {
    await standInReady;
    const scanner = new KernelScanner({ procRoot: '/proc', serverPid: process.pid });
    const answer = await new PssMeter(scanner).measure(standInId);
    assert.ok(answer);
    assert.equal(answer.processes, 3);
    assert.equal(answer.unreadable, 0);
    assert.ok(answer.pss !== null && answer.rss !== null);
    assert.ok(answer.pss <= answer.rss, `PSS ${answer.pss} > RSS ${answer.rss}`);
    assert.ok(answer.pss > 128 * MiB, `PSS ${answer.pss}`);
    assert.ok(answer.durationMs > 0);
  });
});
