/**
 * Checks a parsed sample against the names and types docs/sidecar.md promises, for tests that
 * see the sidecar from outside (the CLI's stdout, the real-cgroup run).
 */
import assert from 'node:assert/strict';
import { sampleProblems, type Sample } from '../../src/sample.js';

/**
 * Asserts that `value` is a Sample as the contract names it (the plugin's own check), and
 * what a working sidecar adds: epoch milliseconds, a positive CPU limit.
 */
export function assertContractSample(value: unknown): Sample {
  assert.deepEqual(sampleProblems(value), [], 'not a Sample as docs/sidecar.md names it');
  const sample = value as Sample;
  assert.ok(Number.isInteger(sample.timestamp) && sample.timestamp > 1.6e12, 'timestamp is not ms since the epoch');
  assert.ok(sample.cpu.limit > 0, `cpu.limit: ${sample.cpu.limit}`);
  assert.ok(Number.isInteger(sample.cpu.hostCpus) && sample.cpu.hostCpus > 0, `cpu.hostCpus: ${sample.cpu.hostCpus}`);
  return sample;
}
