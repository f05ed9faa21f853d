/**
 * Checks a parsed sample against the names and types docs/sidecar.md promises, for tests that
 * see the sidecar from outside (the CLI's stdout, the real-cgroup run).
 */
import assert from 'node:assert/strict';
import type { Sample } from '../../src/sample.js';

const SOURCES = ['cgroup-v2', 'cgroup-v1', 'host'];
const LIMIT_SOURCES = ['cgroup', 'env', 'host'];
const PRESSURE_SCOPES = ['cgroup', 'machine'];

function numberOrNull(value: unknown, name: string): void {
  assert.ok(value === null || (typeof value === 'number' && Number.isFinite(value)), `${name}: ${String(value)}`);
}

function keys(value: unknown, expected: string[], name: string): void {
  assert.ok(value !== null && typeof value === 'object', `${name} is not an object`);
  for (const key of expected) {
    assert.ok(key in value, `${name}.${key} missing`);
  }
}

function pressure(value: unknown, name: string): void {
  if (value === null) {
    return;
  }
  keys(value, ['some', 'full'], name);
  const psi = value as Record<'some' | 'full', unknown>;
  for (const kind of ['some', 'full'] as const) {
    if (kind === 'full' && psi.full === null) {
      continue;
    }
    keys(psi[kind], ['avg10', 'avg60', 'avg300', 'total'], `${name}.${kind}`);
  }
}

/** Asserts that `value` is a Sample as the contract names it; returns it typed. */
export function assertContractSample(value: unknown): Sample {
  keys(value, ['version', 'timestamp', 'source', 'memory', 'cpu', 'pids', 'pressure', 'disk', 'errors'], 'sample');
  const sample = value as Sample;
  assert.equal(sample.version, 1);
  assert.ok(Number.isInteger(sample.timestamp) && sample.timestamp > 1.6e12, 'timestamp is not ms since the epoch');
  assert.ok(SOURCES.includes(sample.source), `source: ${sample.source}`);
  keys(sample.memory, ['used', 'usage', 'cache', 'limit', 'limitSource', 'swap', 'oomKills'], 'memory');
  for (const field of ['used', 'usage', 'cache', 'limit', 'swap', 'oomKills'] as const) {
    numberOrNull(sample.memory[field], `memory.${field}`);
  }
  assert.ok(LIMIT_SOURCES.includes(sample.memory.limitSource), `memory.limitSource: ${sample.memory.limitSource}`);
  keys(sample.cpu, ['used', 'limit', 'limitSource', 'hostCpus', 'usageSeconds', 'throttledRatio', 'periods', 'throttledPeriods', 'throttledSeconds'], 'cpu');
  for (const field of ['used', 'usageSeconds', 'throttledRatio', 'periods', 'throttledPeriods', 'throttledSeconds'] as const) {
    numberOrNull(sample.cpu[field], `cpu.${field}`);
  }
  assert.ok(typeof sample.cpu.limit === 'number' && sample.cpu.limit > 0, `cpu.limit: ${sample.cpu.limit}`);
  assert.ok(Number.isInteger(sample.cpu.hostCpus) && sample.cpu.hostCpus > 0, `cpu.hostCpus: ${sample.cpu.hostCpus}`);
  assert.ok(LIMIT_SOURCES.includes(sample.cpu.limitSource), `cpu.limitSource: ${sample.cpu.limitSource}`);
  keys(sample.pids, ['current', 'max'], 'pids');
  numberOrNull(sample.pids.current, 'pids.current');
  numberOrNull(sample.pids.max, 'pids.max');
  keys(sample.pressure, ['cpu', 'memory', 'io'], 'pressure');
  pressure(sample.pressure.cpu, 'pressure.cpu');
  pressure(sample.pressure.memory, 'pressure.memory');
  pressure(sample.pressure.io, 'pressure.io');
  assert.ok([null, ...PRESSURE_SCOPES].includes(sample.pressure.scope), `pressure.scope: ${sample.pressure.scope}`);
  if (sample.disk !== null) {
    keys(sample.disk, ['path', 'used', 'total'], 'disk');
    assert.equal(typeof sample.disk.path, 'string');
  }
  assert.ok(Array.isArray(sample.errors) && sample.errors.every((error) => typeof error === 'string'), 'errors');
  return sample;
}
