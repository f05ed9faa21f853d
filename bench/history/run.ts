/**
 * Measures the history at 36,000 samples (interval < 100 ms): heap and RSS the ring adds
 * after gc, and the time of one and of four concurrent GET /api/v1/history. Not a test.
 * Run: node --expose-gc --import tsx bench/history/run.ts
 */
import http from 'node:http';
import { Sampler } from '../../sidecar/src/sampler.js';
import { SidecarServer } from '../../sidecar/src/server.js';
import { FakeReader } from '../../test/helpers/fake-reader.js';

const SAMPLES = 36_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  throw new Error('run with node --expose-gc');
}

function memory(): { heapMB: number; rssMB: number; buffersMB: number } {
  gc!();
  gc!();
  const { heapUsed, rss, arrayBuffers } = process.memoryUsage();
  return { heapMB: heapUsed / 2 ** 20, rssMB: rss / 2 ** 20, buffersMB: arrayBuffers / 2 ** 20 };
}

async function main(): Promise<void> {
  const before = memory();
  const sampler = new Sampler(new FakeReader(), 50);
  // tick() is the sampler's one read: called directly, it fills the ring without waiting 30 min.
  const tick = (sampler as unknown as { tick(): Promise<void> }).tick.bind(sampler);
  for (let i = 0; i < SAMPLES; i++) {
    await tick();
  }
  const after = memory();
  console.log(
    `ring of ${SAMPLES}: heap +${(after.heapMB - before.heapMB).toFixed(1)} MB, array buffers +${(after.buffersMB - before.buffersMB).toFixed(1)} MB, rss +${(after.rssMB - before.rssMB).toFixed(1)} MB`
  );

  const server = new SidecarServer(sampler);
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  // Counts the body's bytes without keeping them, so RSS is the server's.
  function timedGet(path: string): Promise<{ ms: number; bytes: number }> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      http
        .get(base + path, response => {
          let bytes = 0;
          response.on('data', (chunk: Buffer) => (bytes += chunk.length));
          response.on('end', () => resolve({ ms: performance.now() - start, bytes }));
        })
        .on('error', reject);
    });
  }
  await timedGet('/api/v1/history'); // warm-up
  const one = await timedGet('/api/v1/history');
  console.log(`one history: ${one.ms.toFixed(0)} ms, ${(one.bytes / 2 ** 20).toFixed(1)} MB`);
  const rssBefore = process.memoryUsage().rss;
  const five = Promise.all(Array.from({ length: 4 }, () => timedGet('/api/v1/history')));
  const metrics = await timedGet('/api/v1/metrics');
  const done = await five;
  console.log(
    `four concurrent: slowest ${Math.max(...done.map(d => d.ms)).toFixed(0)} ms; metrics meanwhile ${metrics.ms.toFixed(0)} ms; rss +${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MB`
  );
  await server.close();
}

void main();
