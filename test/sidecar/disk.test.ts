/**
 * --disk-path on a filesystem whose statfs hangs (a hung NFS home, played by a FUSE
 * filesystem, slow-statfs-fs.py): the sidecar keeps answering with every other figure, reports
 * `disk: null` plus an error naming the path, asks no second statfs while the first hangs,
 * and reports the disk again once the filesystem answers.
 *
 * The FUSE helper runs in the project's .venv (scripts/test.sh installs mfusepy there, and
 * fuse3 from Debian). The test is skipped only when the kernel refuses the FUSE mount.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import { WebSocket } from 'ws';

import type { Sample } from '../../src/sample.js';
import { diskUsage } from '../../sidecar/src/disk.js';
import { OpenFiles, Problems } from '../../sidecar/src/files.js';
import { assertContractSample } from './contract-shape.js';

const ROOT = path.resolve(__dirname, '../..');
const VENV = process.env.CGROUP_USAGE_VENV ?? path.join(ROOT, '.venv');
const PYTHON = path.join(VENV, 'bin/python');
const FIXTURE = path.join(__dirname, 'fixtures/v2-namespace');
/** Bounds every wait: far above what each step takes, so only a hang reaches it. */
const DEADLINE_MS = 30_000;

describe('diskUsage: figures statfs cannot give are an error, not a negative or NaN size', () => {
  it('accepts a consistent answer', () => {
    const problems = new Problems(new OpenFiles());
    assert.deepEqual(diskUsage('/home', { blocks: 1000, bfree: 250, bsize: 4096 }, problems), {
      path: '/home',
      used: 750 * 4096,
      total: 1000 * 4096
    });
    assert.deepEqual(problems.messages, []);
  });
  for (const stats of [
    { blocks: 10, bfree: 11, bsize: 4096 },
    { blocks: 10, bfree: 1, bsize: 0 },
    { blocks: 2 ** 60, bfree: 0, bsize: 4096 },
    { blocks: NaN, bfree: 0, bsize: 4096 }
  ]) {
    it(`rejects ${JSON.stringify(stats)}`, () => {
      const problems = new Problems(new OpenFiles());
      assert.equal(diskUsage('/home', stats, problems), null);
      assert.equal(problems.messages.length, 1);
      assert.match(problems.messages[0], /^\/home: statfs gave impossible figures/);
    });
  }
});

/** Items that arrive as events (lines, WebSocket messages), taken in order, each wait bounded. */
class Inbox<T> {
  /** Everything ever received, for counting. */
  readonly seen: T[] = [];
  private next = 0;
  private wake: (() => void) | null = null;
  private closedBecause: string | null = null;

  push(item: T): void {
    this.seen.push(item);
    this.wake?.();
  }

  close(reason: string): void {
    this.closedBecause = reason;
    this.wake?.();
  }

  /** The next item not taken yet. */
  async take(what: string): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS;
    while (this.next === this.seen.length) {
      if (this.closedBecause !== null) {
        throw new Error(`${this.closedBecause} before ${what}`);
      }
      const left = deadline - Date.now();
      assert.ok(left > 0, `no ${what} within ${DEADLINE_MS} ms`);
      await new Promise<void>(resolve => {
        this.wake = resolve;
        setTimeout(resolve, left).unref();
      });
      this.wake = null;
    }
    return this.seen[this.next++];
  }

  /** Takes items until one satisfies `accept`. */
  async until(what: string, accept: (item: T) => boolean): Promise<T> {
    for (;;) {
      const item = await this.take(what);
      if (accept(item)) {
        return item;
      }
    }
  }
}

function linesOf(child: ChildProcess, name: string): Inbox<string> {
  const inbox = new Inbox<string>();
  createInterface({ input: child.stdout! }).on('line', line => inbox.push(line));
  child.on('exit', () => inbox.close(`${name} exited`));
  return inbox;
}

function listening(sidecar: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    sidecar.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (\S+)\n/.exec(stderr);
      if (match) {
        resolve(match[1]);
      }
    });
    sidecar.on('exit', () => reject(new Error(`sidecar exited: ${stderr}`)));
    setTimeout(() => reject(new Error(`not listening within ${DEADLINE_MS} ms: ${stderr}`)), DEADLINE_MS).unref();
  });
}

async function metrics(where: string): Promise<Sample> {
  const response = await fetch(`${where}/api/v1/metrics`, { signal: AbortSignal.timeout(DEADLINE_MS) });
  assert.equal(response.status, 200);
  return assertContractSample(await response.json());
}

describe('a sidecar whose --disk-path hangs in statfs', () => {
  let work: string;
  let mountPoint: string;
  let fuse: ChildProcess | null = null;
  let fuseLines: Inbox<string>;
  let fuseErrors = '';
  let refused: string | null = null;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'slow-statfs-'));
    mountPoint = path.join(work, 'home');
    fs.mkdirSync(mountPoint);
    if (!fs.existsSync('/dev/fuse')) {
      refused = 'no /dev/fuse in this kernel or container';
      return;
    }
    // A missing venv or mfusepy is a set-up fault, not a reason to skip.
    const probe = spawnSync(PYTHON, ['-c', 'import mfusepy'], { encoding: 'utf8' });
    assert.equal(
      probe.status,
      0,
      `${PYTHON} cannot import mfusepy (scripts/test.sh installs it): ${probe.stderr ?? probe.error}`
    );
    fuse = spawn(PYTHON, [path.join(__dirname, 'slow-statfs-fs.py'), mountPoint], { stdio: ['pipe', 'pipe', 'pipe'] });
    fuse.stderr!.setEncoding('utf8').on('data', (chunk: string) => (fuseErrors += chunk));
    fuseLines = linesOf(fuse, 'the FUSE filesystem');
    try {
      await fuseLines.until('"ready"', line => line === 'ready');
    } catch {
      // mfusepy imported, so libfuse is there: an exit before "ready" is the mount refused.
      refused = `the kernel refused the FUSE mount: ${fuseErrors.trim()}`;
      fuse = null;
    }
  });

  after(async () => {
    if (fuse !== null) {
      fuse.stdin!.end('release\n');
      spawnSync('umount', ['-l', mountPoint]);
      // Killing the daemon aborts the FUSE connection: nothing is left waiting on it.
      fuse.kill('SIGKILL');
      if (fuse.exitCode === null && fuse.signalCode === null) {
        await once(fuse, 'exit');
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('answers /api/v1/metrics while statfs hangs, with disk null and an error, and asks statfs only once', async (t: TestContext) => {
    if (refused !== null) {
      console.log(`# skipped: ${refused}`);
      t.skip(refused);
      return;
    }
    const sidecar = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'sidecar/src/cli.ts'),
        '--interval',
        '100',
        '--disk-path',
        mountPoint,
        '--proc-root',
        path.join(FIXTURE, 'proc'),
        '--sys-root',
        path.join(FIXTURE, 'sys')
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }
    );
    const stream = new Inbox<Sample>();
    try {
      const where = await listening(sidecar);
      await fuseLines.until('the first statfs', line => line === 'statfs');
      const blocked = () => !fuseLines.seen.includes('answered');

      // Each streamed sample is followed by a /api/v1/metrics request, which must be answered
      // while the statfs of the first reading is still blocked in the filesystem.
      const client = new WebSocket(`${where.replace('http', 'ws')}/api/v1/stream`);
      client.on('message', (data: Buffer) => stream.push(assertContractSample(JSON.parse(data.toString()))));
      client.on('close', () => stream.close('the stream closed'));
      const nextWhileBlocked = async (what: string): Promise<Sample> => {
        const streamed = await stream.take(what);
        const answered = await metrics(where);
        assert.ok(blocked(), `the blocked statfs answered before ${what}`);
        assert.ok(answered.timestamp >= streamed.timestamp);
        return streamed;
      };

      // The first reading gives up on statfs after the time-out; every figure but disk is there.
      const timedOut = await nextWhileBlocked('the first sample');
      assert.equal(timedOut.disk, null);
      assert.deepEqual(timedOut.errors, [`${mountPoint}: statfs did not answer within 2.0 s`]);
      assert.equal(timedOut.memory.limit, 2147483648);

      // Later readings do not wait for it, nor ask again: they say it is still pending.
      const pending = new RegExp(
        `^${mountPoint}: statfs still pending after \\d+\\.\\d s; not asked again until it answers$`
      );
      for (let i = 0; i < 5; i++) {
        const sample = await nextWhileBlocked(`pending sample ${i + 1}`);
        assert.equal(sample.disk, null);
        assert.equal(sample.errors.length, 1);
        assert.match(sample.errors[0], pending);
      }
      assert.deepEqual(fuseLines.seen, ['ready', 'statfs'], 'a second statfs was started while the first hung');

      // Released: the hung call answers, and a later reading reports the disk again.
      fuse!.stdin!.write('release\n');
      await fuseLines.until('the answer', line => line === 'answered');
      const recovered = await stream.until('a sample with disk figures', sample => sample.disk !== null);
      assert.deepEqual(recovered.disk, { path: mountPoint, used: 750 * 4096, total: 1000 * 4096 });
      assert.deepEqual(recovered.errors, []);
      client.terminate();
    } finally {
      // A process inside a FUSE request the daemon has taken is not killable until it answers.
      fuse!.stdin!.write('release\n');
      sidecar.kill('SIGKILL');
      if (sidecar.exitCode === null && sidecar.signalCode === null) {
        await once(sidecar, 'exit');
      }
    }
  });
});
