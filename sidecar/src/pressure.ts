/** PSI files: cgroup v2 `cpu.pressure`, `memory.pressure`, `io.pressure`, or /proc/pressure/{cpu,memory,io}. */
import type { PressureSample } from '../../src/sample.js';
import { Problems, readParsed } from './files.js';
import { parsePressure } from './parse.js';

/** Reads the three PSI files named by `pathOf`; absent files (no PSI in this kernel) are null. */
export function readPressure(pathOf: (resource: keyof PressureSample) => string, problems: Problems): PressureSample {
  const read = (resource: keyof PressureSample) =>
    readParsed(pathOf(resource), problems, false, parsePressure, '"some avg10=... total=..." lines');
  return { cpu: read('cpu'), memory: read('memory'), io: read('io') };
}
