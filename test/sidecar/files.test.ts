/**
 * files.ts keeps the descriptors of the files it reads every interval. These tests pin what
 * that must not change: fresh content on every read, absent files absent (and found once
 * they appear), and a re-created cgroup read through its new files. And what keeps a read
 * bounded: a FIFO or device in a file's place, or a file of more than MAX_FILE_BYTES, is an
 * error naming it, and reads after it still work.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it, mock, type TestContext } from 'node:test';
import { ChildCgroups, CgroupRefused } from '../helpers/cgroup.js';
import {
  MAX_FILE_BYTES,
  MISSING_RECHECK_MS,
  OpenFiles,
  Problems,
  readOptional,
  readRequired
} from '../../sidecar/src/files.js';
import { createReader } from '../../sidecar/src/reader.js';

const MiB = 1024 * 1024;

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-files-'));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('reading with kept descriptors', () => {
  it('reads the current content every time, including a file that grew past the buffer', () => {
    const file = path.join(work, 'memory.current');
    fs.writeFileSync(file, '100\n');
    const problems = new Problems(new OpenFiles());
    assert.equal(readRequired(file, problems), '100\n');
    fs.writeFileSync(file, '7\n');
    assert.equal(readRequired(file, problems), '7\n');
    const long = 'x'.repeat(100_000) + '\n';
    fs.writeFileSync(file, long);
    assert.equal(readRequired(file, problems), long);
    assert.deepEqual(problems.messages, []);
  });

  it('a missing optional file is null without an error; a missing required one is an error', () => {
    const problems = new Problems(new OpenFiles());
    assert.equal(readOptional(path.join(work, 'memory.max'), problems), null);
    assert.deepEqual(problems.messages, []);
    assert.equal(readRequired(path.join(work, 'memory.stat'), problems), null);
    assert.deepEqual(problems.messages, [`${path.join(work, 'memory.stat')}: missing`]);
  });

  it('a file that appears after it was found missing is read within MISSING_RECHECK_MS', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      const file = path.join(work, 'pids.max');
      const problems = new Problems(new OpenFiles());
      assert.equal(readOptional(file, problems), null);
      fs.writeFileSync(file, 'max\n');
      mock.timers.tick(MISSING_RECHECK_MS);
      assert.equal(readOptional(file, problems), 'max\n');
      assert.deepEqual(problems.messages, []);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('files that would block or grow without bound', () => {
  it('a FIFO is refused at once (no writer would ever come), a device too', () => {
    const fifo = path.join(work, 'io.pressure');
    execFileSync('mkfifo', [fifo]);
    const device = path.join(work, 'cpu.pressure');
    fs.symlinkSync('/dev/zero', device);
    const problems = new Problems(new OpenFiles());
    assert.equal(readRequired(fifo, problems), null);
    assert.equal(readOptional(device, problems), null);
    assert.deepEqual(problems.messages, [
      `${fifo}: a FIFO, not a regular file`,
      `${device}: a character device, not a regular file`
    ]);
  });

  it('a file longer than MAX_FILE_BYTES is an error; files read after it are read whole', () => {
    const huge = path.join(work, 'memory.swap.current');
    // Sparse: MAX_FILE_BYTES + 1 bytes of zeros without writing them.
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, MAX_FILE_BYTES + 1);
    const atLimit = path.join(work, 'mountinfo');
    const atLimitText = 'y'.repeat(MAX_FILE_BYTES - 1) + '\n';
    fs.writeFileSync(atLimit, atLimitText);
    const small = path.join(work, 'pids.current');
    fs.writeFileSync(small, '12\n');
    const problems = new Problems(new OpenFiles());
    assert.equal(readRequired(huge, problems), null);
    assert.deepEqual(problems.messages, [`${huge}: larger than ${MAX_FILE_BYTES} bytes`]);
    assert.equal(readRequired(small, problems), '12\n');
    assert.equal(readRequired(atLimit, problems), atLimitText);
    assert.equal(readRequired(small, problems), '12\n');
    assert.equal(readRequired(huge, problems), null);
    assert.equal(problems.messages.length, 2);
  });

  it('a fixture tree with a FIFO and an oversized file: the reading names both and the rest is read', async () => {
    const tree = path.join(work, 'tree');
    fs.cpSync(path.join(__dirname, 'fixtures/v2-namespace'), tree, { recursive: true });
    const cgroup = path.join(tree, 'sys/fs/cgroup');
    fs.rmSync(path.join(cgroup, 'memory.stat'));
    execFileSync('mkfifo', [path.join(cgroup, 'memory.stat')]);
    fs.truncateSync(path.join(cgroup, 'memory.current'), MAX_FILE_BYTES + 100);
    const reader = createReader({
      procRoot: path.join(tree, 'proc'),
      sysRoot: path.join(tree, 'sys'),
      diskPath: tree,
      env: {}
    });
    const reading = await reader.read();
    assert.deepEqual(reading.errors, [
      `${cgroup}/memory.current: larger than ${MAX_FILE_BYTES} bytes`,
      `${cgroup}/memory.stat: a FIFO, not a regular file`
    ]);
    assert.deepEqual([reading.memory.usage, reading.memory.used, reading.memory.cache], [null, null, null]);
    assert.equal(reading.memory.limit, 2147483648);
    assert.ok(reading.cpu.usageSeconds! > 0);
    // Put right, the same reader reads the same paths again.
    fs.writeFileSync(path.join(cgroup, 'memory.current'), '1048576\n');
    fs.rmSync(path.join(cgroup, 'memory.stat'));
    fs.copyFileSync(
      path.join(__dirname, 'fixtures/v2-namespace/sys/fs/cgroup/memory.stat'),
      path.join(cgroup, 'memory.stat')
    );
    const again = await reader.read();
    assert.deepEqual(again.errors, []);
    assert.equal(again.memory.usage, 1048576);
  });
});

it('a cgroup removed and re-created is read through its new files', (t: TestContext) => {
  let cgroups: ChildCgroups;
  const name = `files-test-${process.pid}`;
  try {
    cgroups = new ChildCgroups(name, { memoryBytes: 256 * MiB });
  } catch (error) {
    if (!(error instanceof CgroupRefused)) throw error;
    console.log(`# skipped: ${error.message}`);
    t.skip(error.message);
    return;
  }
  // The memory hierarchy's limit file: memory.max on v2, memory.limit_in_bytes on v1.
  const file = cgroups.dirs
    .flatMap(dir => ['memory.max', 'memory.limit_in_bytes'].map(name => path.join(dir, name)))
    .find(candidate => fs.existsSync(candidate))!;
  const problems = new Problems(new OpenFiles());
  assert.equal(readRequired(file, problems)?.trim(), String(256 * MiB));
  // Empty, so the directories go at once; then the same path holds a new cgroup.
  cgroups.dirs.forEach(dir => fs.rmdirSync(dir));
  const again = new ChildCgroups(name, { memoryBytes: 128 * MiB });
  try {
    assert.equal(readRequired(file, problems)?.trim(), String(128 * MiB));
    assert.deepEqual(problems.messages, []);
  } finally {
    again.dirs.forEach(dir => fs.rmdirSync(dir));
  }
});
