/**
 * files.ts keeps the descriptors of the files it reads every interval. These tests pin what
 * that must not change: fresh content on every read, absent files absent (and found once
 * they appear), and a re-created cgroup read through its new files.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, mock, type TestContext } from 'node:test';
import { ChildCgroups, CgroupRefused } from '../../ui-tests/helpers/cgroup.js';
import { MISSING_RECHECK_MS, Problems, readOptional, readRequired } from '../src/files.js';

const MiB = 1024 * 1024;

describe('reading with kept descriptors', () => {
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-files-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('reads the current content every time, including a file that grew past the buffer', () => {
    const file = path.join(work, 'memory.current');
    fs.writeFileSync(file, '100\n');
    const problems = new Problems();
    assert.equal(readRequired(file, problems), '100\n');
    fs.writeFileSync(file, '7\n');
    assert.equal(readRequired(file, problems), '7\n');
    const long = 'x'.repeat(100_000) + '\n';
    fs.writeFileSync(file, long);
    assert.equal(readRequired(file, problems), long);
    assert.deepEqual(problems.messages, []);
  });

  it('a missing optional file is null without an error; a missing required one is an error', () => {
    const problems = new Problems();
    assert.equal(readOptional(path.join(work, 'memory.max'), problems), null);
    assert.deepEqual(problems.messages, []);
    assert.equal(readRequired(path.join(work, 'memory.stat'), problems), null);
    assert.deepEqual(problems.messages, [`${path.join(work, 'memory.stat')}: missing`]);
  });

  it('a file that appears after it was found missing is read within MISSING_RECHECK_MS', () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      const file = path.join(work, 'pids.max');
      const problems = new Problems();
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
    .flatMap((dir) => ['memory.max', 'memory.limit_in_bytes'].map((name) => path.join(dir, name)))
    .find((candidate) => fs.existsSync(candidate))!;
  const problems = new Problems();
  assert.equal(readRequired(file, problems)?.trim(), String(256 * MiB));
  // Empty, so the directories go at once; then the same path holds a new cgroup.
  cgroups.dirs.forEach((dir) => fs.rmdirSync(dir));
  const again = new ChildCgroups(name, { memoryBytes: 128 * MiB });
  try {
    assert.equal(readRequired(file, problems)?.trim(), String(128 * MiB));
    assert.deepEqual(problems.messages, []);
  } finally {
    again.dirs.forEach((dir) => fs.rmdirSync(dir));
  }
});
