/**
 * The precise figure for one kernel, on request only (`POST /api/v1/kernels/<id>/pss`): the
 * proportional set size of its tree from each process's `smaps_rollup`, where a page shared
 * by n processes counts 1/n in each. The kernel walks every page table to render that file
 * (milliseconds for a process of gigabytes, and as long again for each forked child that maps
 * them), so it is never read on a timer, the reads go to the thread pool, and one measurement
 * runs at a time.
 */
import { readFile } from 'node:fs/promises';
import type { KernelPssResponse } from '../../src/sample.js';
import type { KernelScanner } from './kernels.js';
import { readProcessTable, vanished } from './processes.js';

/** A `Name:   1234 kB` line of smaps_rollup, in bytes; null when absent. */
export function smapsField(text: string, name: string): number | null {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

export class PssBusy extends Error {}

/**
 * smaps_rollup reads in flight at once: each occupies one of libuv's four pool threads for as
 * long as the kernel walks that process's page tables (bench:kernels: about 0.2 s per child of
 * a 2 GiB process), and the sampler's statfs needs a thread too.
 */
const PARALLEL_READS = 2;

/** `read` over every item, at most `parallel` at a time, results in order. */
async function mapBounded<T, R>(items: T[], parallel: number, read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await read(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

export class PssMeter {
  private running: { id: string; answer: Promise<KernelPssResponse | null> } | null = null;

  constructor(private readonly scanner: KernelScanner) {}

  /**
   * The PSS of kernel `id`'s tree; null when no such kernel runs below the server. The same
   * kernel asked again while it is measured shares the answer; another kernel gets PssBusy.
   */
  measure(id: string): Promise<KernelPssResponse | null> {
    if (this.running !== null) {
      if (this.running.id !== id) {
        return Promise.reject(new PssBusy(`the PSS of kernel ${this.running.id} is being measured: retry shortly`));
      }
      return this.running.answer;
    }
    const answer = this.measureOnce(id).finally(() => (this.running = null));
    this.running = { id, answer };
    return answer;
  }

  private async measureOnce(id: string): Promise<KernelPssResponse | null> {
    const started = performance.now();
    const procRoot = this.scanner.procRoot;
    const table = readProcessTable(procRoot);
    const tree = (await this.scanner.findKernels(table)).find(kernel => kernel.id === id);
    if (tree === undefined) {
      return null;
    }
    const errors: string[] = [];
    let pss = 0;
    let rss = 0;
    let read = 0;
    const rollups = await mapBounded(tree.pids, PARALLEL_READS, pid =>
      readFile(`${procRoot}/${pid}/smaps_rollup`, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (!vanished(error)) {
          errors.push(`${pid}: smaps_rollup unreadable (${error.code ?? String(error)})`);
        }
        return null;
      })
    );
    for (const text of rollups) {
      const processPss = text === null ? null : smapsField(text, 'Pss');
      if (processPss === null) {
        continue;
      }
      read++;
      pss += processPss;
      rss += smapsField(text!, 'Rss') ?? 0;
    }
    return {
      version: 1,
      id,
      pss: read > 0 ? pss : null,
      rss: read > 0 ? rss : null,
      processes: tree.pids.length,
      unreadable: tree.pids.length - read,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      errors
    };
  }
}
