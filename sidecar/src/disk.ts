/** Usage of the filesystem holding --disk-path (the user's home, usually). */
import * as fs from 'node:fs';

import type { DiskSample } from '../../src/sample.js';
import type { Problems } from './files.js';

export function readDisk(diskPath: string, problems: Problems): DiskSample | null {
  try {
    const stats = fs.statfsSync(diskPath);
    return {
      path: diskPath,
      used: (stats.blocks - stats.bfree) * stats.bsize,
      total: stats.blocks * stats.bsize
    };
  } catch (error) {
    problems.add(diskPath, `cannot statfs (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return null;
  }
}
