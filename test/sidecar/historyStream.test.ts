/**
 * /api/v1/history against a sidecar holding a full ring (36,000 samples at a 50 ms interval):
 * the exact bytes JSON.stringify gave before streaming, /api/v1/metrics answered while full
 * histories stream, the cap on concurrent streams and the time-out for clients that stop reading.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it, mock } from 'node:test';
import type { HistoryResponse, Sample } from '../../src/sample.js';
import { Sampler, historyCapacity } from '../../sidecar/src/sampler.js';
import { SidecarServer } from '../../sidecar/src/server.js';
import { FakeReader } from '../helpers/fake-reader.js';

const INTERVAL_MS = 50;
const CAPACITY = historyCapacity(INTERVAL_MS);

/** GET that keeps the body as text; `onFirstData` runs when the first body bytes arrive. */
function get(
  base: string,
  path: string,
  onFirstData?: () => void
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(base + path, response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          if (chunks.length === 0) {
            onFirstData?.();
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8')
          })
        );
      })
      .on('error', reject);
  });
}

/** A client that asks for the whole history, reads its first bytes and then stops reading. */
async function stalledClient(base: string): Promise<{ response: http.IncomingMessage; text: () => Promise<string> }> {
  const request = http.get(`${base}/api/v1/history`, { agent: false });
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  const chunks: Buffer[] = [(await once(response, 'data'))[0] as Buffer];
  response.pause();
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  // Resumes reading; resolves with the body once the response is over, complete or cut short.
  const text = async (): Promise<string> => {
    // Not once(): a cut-short body also emits 'error', reported here through `complete`.
    const closed = new Promise(resolve => response.on('close', resolve));
    response.on('error', () => undefined);
    response.resume();
    await closed;
    return Buffer.concat(chunks).toString('utf8');
  };
  return { response, text };
}

/** Requests until `status` comes back, every 20 ms, for at most `deadlineMs`. */
async function waitForStatus(base: string, status: number, deadlineMs: number): Promise<void> {
  const deadline = performance.now() + deadlineMs; // Date is mocked in this file
  for (;;) {
    const answer = await get(base, '/api/v1/history?seconds=1');
    if (answer.status === status) {
      return;
    }
    assert.ok(performance.now() < deadline, `still ${answer.status} after ${deadlineMs} ms`);
    await delay(20);
  }
}

describe('/api/v1/history over a full ring', () => {
  const sampler = new Sampler(new FakeReader(), INTERVAL_MS);
  const taken: Sample[] = [];
  let server: SidecarServer;
  let base: string;

  /** Makes `count` samples on the mocked clock, one interval apart. */
  async function takeSamples(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const next = new Promise<void>(resolve => {
        const unsubscribe = sampler.onSample(() => {
          unsubscribe();
          resolve();
        });
      });
      mock.timers.tick(INTERVAL_MS);
      await next;
    }
  }

  before(async () => {
    // Only the sampler's timer and clock are mocked: the server's setTimeout/setImmediate are real.
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_700_000_000_000 });
    sampler.onSample(sample => taken.push(sample));
    const first = new Promise(resolve => sampler.onSample(resolve));
    sampler.start();
    await first;
    await takeSamples(CAPACITY + 9); // the ring has wrapped
    server = new SidecarServer(sampler);
    base = await server.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    sampler.stop();
    await server.close();
    mock.timers.reset();
  });

  it('answers the same bytes JSON.stringify gave for the whole history and for N seconds', async () => {
    const whole = await get(base, '/api/v1/history');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-type'], 'application/json; charset=utf-8');
    const expected: HistoryResponse = { version: 1, intervalMs: INTERVAL_MS, samples: taken.slice(-CAPACITY) };
    assert.equal(whole.body, JSON.stringify(expected));
    // 1 s back from now at 50 ms apart: the newest 21 samples.
    const recent = await get(base, '/api/v1/history?seconds=1');
    assert.equal(recent.body, JSON.stringify({ ...expected, samples: taken.slice(-21) }));
  });

  it('answers /api/v1/metrics while four full histories are being streamed', async () => {
    // Counts the samples serialised so far: metrics must not wait for all 4 × CAPACITY.
    const serialised = mock.method(sampler, 'historyJson');
    const finished: string[] = [];
    let serialisedAtMetrics = -1;
    let metrics: Promise<void> | undefined;
    const histories = Array.from({ length: 4 }, (_, i) =>
      get(base, '/api/v1/history', () => {
        // Asked once the first history is under way.
        metrics ??= get(base, '/api/v1/metrics').then(answer => {
          assert.equal(answer.status, 200);
          serialisedAtMetrics = serialised.mock.callCount();
          finished.push('metrics');
        });
      }).then(answer => {
        assert.equal((JSON.parse(answer.body) as HistoryResponse).samples.length, CAPACITY);
        finished.push(`history ${i}`);
      })
    );
    await Promise.all(histories);
    await metrics;
    serialised.mock.restore();
    assert.equal(finished[0], 'metrics', finished.join(', '));
    assert.ok(serialisedAtMetrics < 4 * CAPACITY, `${serialisedAtMetrics} samples serialised before metrics`);
  });

  it('answers 503 with Retry-After beyond four concurrent histories, and 200 once they are gone', async () => {
    const stalled = await Promise.all(Array.from({ length: 4 }, () => stalledClient(base)));
    const refused = await get(base, '/api/v1/history');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match((JSON.parse(refused.body) as { error: string }).error, /history requests/);
    for (const { response } of stalled) {
      response.destroy();
    }
    await waitForStatus(base, 200, 5000);
  });

  it('drops a client that stops reading once the write time-out passes', async () => {
    const strict = new SidecarServer(sampler, { maxHistoryStreams: 1, historyWriteTimeoutMs: 200 });
    const strictBase = await strict.listen({ host: '127.0.0.1', port: 0 });
    try {
      const started = performance.now();
      const stalled = await stalledClient(strictBase);
      // The one stream is held, so the server refuses others until it gives the stalled one up.
      await waitForStatus(strictBase, 200, 10_000);
      assert.ok(performance.now() - started >= 200);
      const body = await stalled.text();
      assert.equal(stalled.response.complete, false, `${body.length} bytes`);
    } finally {
      await strict.close();
    }
  });

  it('skips the samples overwritten while a history was being written', async () => {
    const stalled = await stalledClient(base);
    const newestAtRequest = taken[taken.length - 1] as Sample;
    await takeSamples(5000);
    const body = await stalled.text();
    assert.equal(stalled.response.complete, true);
    const samples = (JSON.parse(body) as HistoryResponse).samples;
    assert.ok(samples.length < CAPACITY, `${samples.length} samples`);
    for (let i = 1; i < samples.length; i++) {
      assert.ok((samples[i] as Sample).timestamp > (samples[i - 1] as Sample).timestamp);
    }
    assert.equal((samples[samples.length - 1] as Sample).timestamp, newestAtRequest.timestamp);
  });
});
