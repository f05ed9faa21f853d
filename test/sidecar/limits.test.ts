/** The limits a figure is measured against: cgroup, MEM_LIMIT / CPU_LIMIT, machine. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { OpenFiles, Problems } from '../../sidecar/src/files.js';
import { parseEnvLimits, resolveCpuLimit, resolveMemoryLimit } from '../../sidecar/src/limits.js';

describe('MEM_LIMIT / CPU_LIMIT', () => {
  const GIB = 2 ** 30;

  test('parses bytes and cores; unset, empty and 0 mean none (as JupyterHub and JRU)', () => {
    assert.deepEqual(parseEnvLimits({ MEM_LIMIT: '1073741824', CPU_LIMIT: '0.5' }), {
      memory: { value: GIB, problem: null },
      cpu: { value: 0.5, problem: null }
    });
    assert.deepEqual(parseEnvLimits({ MEM_LIMIT: '0', CPU_LIMIT: '' }), {
      memory: { value: null, problem: null },
      cpu: { value: null, problem: null }
    });
    assert.deepEqual(parseEnvLimits({}).memory, { value: null, problem: null });
  });

  test('a value no machine has is reported, not taken (400 nines once became an Infinity limit)', () => {
    const env = parseEnvLimits({ MEM_LIMIT: '9'.repeat(400), CPU_LIMIT: '8193' });
    assert.deepEqual(env.memory, {
      value: null,
      problem: `MEM_LIMIT="${'9'.repeat(400)}": not a number of bytes up to 2^53; ignored`
    });
    assert.deepEqual(env.cpu, { value: null, problem: 'CPU_LIMIT="8193": not a number of cores up to 8192; ignored' });
  });

  test('a malformed value is ignored and reported only when it is consulted', () => {
    const env = parseEnvLimits({ MEM_LIMIT: '2G', CPU_LIMIT: '-1' });
    const consulted = new Problems(new OpenFiles());
    assert.deepEqual(
      resolveMemoryLimit(Infinity, env, () => 8 * GIB, consulted),
      { limit: 8 * GIB, limitSource: 'host' }
    );
    assert.deepEqual(resolveCpuLimit(Infinity, null, 4, env, consulted), { limit: 4, limitSource: 'host' });
    assert.deepEqual(consulted.messages, [
      'MEM_LIMIT="2G": not a number of bytes up to 2^53; ignored',
      'CPU_LIMIT="-1": not a number of cores up to 8192; ignored'
    ]);
    const notConsulted = new Problems(new OpenFiles());
    assert.deepEqual(
      resolveMemoryLimit(GIB, env, () => 8 * GIB, notConsulted),
      { limit: GIB, limitSource: 'cgroup' }
    );
    assert.deepEqual(notConsulted.messages, []);
  });

  test('the cgroup wins over the environment, the environment over the machine', () => {
    const env = parseEnvLimits({ MEM_LIMIT: String(2 * GIB), CPU_LIMIT: '3' });
    const problems = new Problems(new OpenFiles());
    assert.deepEqual(
      resolveMemoryLimit(GIB, env, () => 8 * GIB, problems),
      { limit: GIB, limitSource: 'cgroup' }
    );
    assert.deepEqual(
      resolveMemoryLimit(Infinity, env, () => 8 * GIB, problems),
      { limit: 2 * GIB, limitSource: 'env' }
    );
    assert.deepEqual(resolveCpuLimit(Infinity, 8, 8, env, problems), { limit: 3, limitSource: 'env' });
    assert.deepEqual(problems.messages, []);
  });

  test('effective CPUs: the smallest of quota, cpuset and online CPUs', () => {
    const none = parseEnvLimits({});
    const problems = new Problems(new OpenFiles());
    assert.deepEqual(resolveCpuLimit(1.5, 4, 8, none, problems), { limit: 1.5, limitSource: 'cgroup' });
    assert.deepEqual(resolveCpuLimit(Infinity, 2, 8, none, problems), { limit: 2, limitSource: 'cgroup' });
    assert.deepEqual(resolveCpuLimit(16, 8, 8, none, problems), { limit: 8, limitSource: 'cgroup' });
    // A cpuset of every online CPU is no limit; an empty one (empty cgroup) neither.
    assert.deepEqual(resolveCpuLimit(Infinity, 8, 8, none, problems), { limit: 8, limitSource: 'host' });
    assert.deepEqual(resolveCpuLimit(Infinity, 0, 8, none, problems), { limit: 8, limitSource: 'host' });
  });
});
