/** The latest sample in jupyter-resource-usage's JSON shape (docs/sidecar.md's table). */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { toResourceUsageJson } from '../../sidecar/src/resourceUsageJson.js';
import { toSample } from '../../sidecar/src/sampler.js';
import type { Sample } from '../../src/sample.js';
import { fakeReading, MiB } from '../helpers/fake-reader.js';

/** The second sample of the fake reader (cpu.used known), with `memory` overridden. */
function sample(memory: Partial<Sample['memory']> = {}): Sample {
  const taken = toSample(
    { reading: fakeReading(0), monotonicSeconds: 0 },
    { reading: fakeReading(1), monotonicSeconds: 1 },
    1.7e12
  );
  return { ...taken, memory: { ...taken.memory, ...memory } };
}

describe('toResourceUsageJson', () => {
  test('rss is the working set, with the memory limit and its warning', () => {
    const json = toResourceUsageJson(sample({ used: 470 * MiB }));
    assert.equal(json.rss, 470 * MiB);
    assert.deepEqual(json.limits.memory, { rss: 512 * MiB, warn: true });
    assert.equal(toResourceUsageJson(sample()).limits.memory?.warn, false);
  });

  test('an unknown working set leaves rss out instead of reporting 0 bytes, and does not warn', () => {
    const json = toResourceUsageJson(sample({ used: null }));
    assert.equal('rss' in json, false);
    assert.deepEqual(json.limits.memory, { rss: 512 * MiB, warn: false });
    assert.equal(json.cpu_count, 2);
  });

  test('no memory limit, no limits.memory', () => {
    assert.equal('memory' in toResourceUsageJson(sample({ limit: null })).limits, false);
  });
});
