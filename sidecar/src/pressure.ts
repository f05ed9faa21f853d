/** PSI files: cgroup v2 `cpu.pressure`, `memory.pressure`, `io.pressure`, or /proc/pressure/{cpu,memory,io}. */
import type { PressureSample, PressureScope } from '../../src/sample.js';
import { Problems, readParsed } from './files.js';
import { parsePressure } from './parse.js';

type Resource = 'cpu' | 'memory' | 'io';

/** Where no PSI source exists (cgroup v1 without a v2 tree, non-Linux). */
export const NO_PRESSURE: PressureSample = { cpu: null, memory: null, io: null, scope: null };

/** Reads the three PSI files named by `pathOf`; absent files (no PSI in this kernel) are null. */
export function readPressure(
  pathOf: (resource: Resource) => string,
  scope: PressureScope,
  problems: Problems
): PressureSample {
  const read = (resource: Resource) =>
    readParsed(pathOf(resource), problems, false, parsePressure, '"some avg10=... total=..." lines');
  return { cpu: read('cpu'), memory: read('memory'), io: read('io'), scope };
}
