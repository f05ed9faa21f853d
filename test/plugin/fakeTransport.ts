/**
 * A transport that answers from the test instead of a sidecar: it counts requests, answers
 * with whatever `answer` returns (a sample or an error) and hands out streams the test drives.
 */
import { MessageLoop } from '@lumino/messaging';
import type { HistoryResponse, Sample } from '../../src/sample';
import type { IStream, IStreamHandlers, ITransport } from '../../src/tokens';
import { makeSample } from './samples';

export class FakeStream implements IStream {
  closed = false;
  /** `intervalMs`: what the model asked for (undefined: every sample). */
  constructor(
    private readonly _handlers: IStreamHandlers,
    readonly intervalMs?: number
  ) {}
  push(sample: Sample): void {
    this._handlers.onSample(sample);
  }
  /** Ends the stream from the server's side, as a socket calls onClose: once. */
  fail(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      this._handlers.onClose(reason);
    }
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeTransport implements ITransport {
  metricsRequests = 0;
  historyRequests: number[] = [];
  streams: FakeStream[] = [];
  /** What the next metrics request answers; a new timestamp each time by default. */
  answer: () => Sample | Error = () => makeSample({ timestamp: 1764160000000 + this.metricsRequests * 1000 });
  historySamples: Sample[] = [];

  fetchMetrics(): Promise<Sample> {
    this.metricsRequests++;
    const answer = this.answer();
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  fetchHistory(seconds: number): Promise<HistoryResponse> {
    this.historyRequests.push(seconds);
    return Promise.resolve({ version: 1, intervalMs: 1000, samples: this.historySamples });
  }

  openStream(handlers: IStreamHandlers, intervalMs?: number): IStream {
    const stream = new FakeStream(handlers, intervalMs);
    this.streams.push(stream);
    return stream;
  }

  /** The streams opened for every sample (a details view's), oldest first. */
  get liveStreams(): FakeStream[] {
    return this.streams.filter(stream => stream.intervalMs === undefined);
  }

  /** The streams that are still open. */
  get openStreams(): FakeStream[] {
    return this.streams.filter(stream => !stream.closed);
  }

  get requestCount(): number {
    return this.metricsRequests + this.historyRequests.length + this.streams.length;
  }
}

/** On jest's fake clock: lets `ms` pass (answers arrive, polls tick), then renders the widgets. */
export async function settle(ms = 0): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
  MessageLoop.flush();
}
