/**
 * The shipped Prometheus rules (monitoring/cgroup-usage.rules.yml): valid for promtool, and
 * their alerts fire (and only then) on the synthetic series of monitoring/tests/.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const MONITORING = join(resolve(__dirname, '../..'), 'monitoring');
const RULES = join(MONITORING, 'cgroup-usage.rules.yml');
const RULE_TESTS = join(MONITORING, 'tests', 'cgroup-usage.rules.test.yml');

const probe = spawnSync('promtool', ['--version']);
const unavailable = probe.error
  ? `promtool cannot be run (${probe.error.message}): install Debian's prometheus package`
  : null;
if (unavailable) {
  console.log(`# SKIP rules tests: ${unavailable}`);
}

async function promtool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)('promtool', args, { cwd: MONITORING });
  return stdout + stderr;
}

describe('monitoring/cgroup-usage.rules.yml', { skip: unavailable ?? false }, () => {
  it('passes promtool check rules, with every recording rule and alert in it', async () => {
    const output = await promtool('check', 'rules', RULES);
    assert.match(output, /SUCCESS: 7 rules found/);
  });

  it('passes promtool test rules on synthetic sessions (memory near the limit, OOM kill, throttling)', async () => {
    const output = await promtool('test', 'rules', RULE_TESTS);
    assert.match(output, /SUCCESS/);
  });
});
