/**
 * A Jupyter terminal typed into over its WebSocket (terminado's protocol: ["stdin", text]
 * in, ["stdout", text] out), timing each key from send until its echo comes back.
 */
import WebSocket from 'ws';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JupyterServer } from './server.js';

/** Keys typed, in turn: plain letters, which bash echoes as they are. */
const KEYS = 'abcdefghijklmnopqrstuvwxyz';
/** Escape sequences (CSI, OSC, two-byte) carry letters that are not echoes. */
// eslint-disable-next-line no-control-regex -- matching terminal control characters is the point
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
/** Wide enough that 400 keys never wrap the line. */
const COLUMNS = 1000;
const PROMPT_TIMEOUT_MS = 20_000;

export interface Typing {
  /**
   * Echo latency of each key in ms, in the order typed; for a key whose echo had not come
   * back when waiting stopped, the time it had waited until then (its latency is at least that).
   */
  latencies: number[];
  /** Keys whose echo had not come back when waiting stopped. */
  lost: number;
}

export interface Terminal {
  /** Types a key every `intervalMs` for `durationMs`; resolves when the last key is sent. */
  type(durationMs: number, intervalMs: number): Promise<void>;
  /** Waits up to `drainMs` for the echoes still missing, then tells what came back. */
  echoes(drainMs: number): Promise<Typing>;
  /** Closes the WebSocket; the shell goes down with the server's process tree. */
  close(): void;
}

export async function openTerminal(server: JupyterServer): Promise<Terminal> {
  const response = await server.request('/api/terminals', { method: 'POST' });
  if (!response.ok) throw new Error(`POST /api/terminals answered ${response.status}`);
  const { name } = (await response.json()) as { name: string };
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/terminals/websocket/${name}`, {
    headers: { Authorization: `token ${server.token}` }
  });
  socket.on('error', () => undefined);
  let onStdout: (text: string) => void = () => undefined;
  socket.on('message', data => {
    const [kind, text] = JSON.parse(data.toString()) as [string, unknown];
    if (kind === 'stdout') onStdout(String(text));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify(['set_size', 50, COLUMNS]));
  await waitForPrompt(socket, handler => (onStdout = handler));

  const pending: { key: string; sentAt: number }[] = [];
  const latencies: number[] = [];
  return {
    async type(durationMs, intervalMs) {
      onStdout = text => {
        const now = performance.now();
        for (const char of text.replace(ESCAPES, '')) {
          if (pending.length > 0 && char === pending[0].key) latencies.push(now - pending.shift()!.sentAt);
        }
      };
      const start = performance.now();
      const count = Math.floor(durationMs / intervalMs);
      for (let i = 0; i < count; i++) {
        // Each key at its own time on a fixed grid, so a slow echo never delays the next key.
        const due = start + i * intervalMs - performance.now();
        if (due > 0) await sleep(due);
        const key = KEYS[i % KEYS.length];
        pending.push({ key, sentAt: performance.now() });
        socket.send(JSON.stringify(['stdin', key]));
      }
    },
    async echoes(drainMs) {
      const drainUntil = performance.now() + drainMs;
      while (pending.length > 0 && performance.now() < drainUntil) await sleep(20);
      onStdout = () => undefined;
      const stoppedAt = performance.now();
      return { latencies: [...latencies, ...pending.map(({ sentAt }) => stoppedAt - sentAt)], lost: pending.length };
    },
    close() {
      socket.terminate();
    }
  };
}

/** Resolves once bash has printed its prompt and gone quiet for a moment. */
async function waitForPrompt(socket: WebSocket, listen: (handler: (text: string) => void) => void): Promise<void> {
  let lastOutput = 0;
  listen(() => (lastOutput = performance.now()));
  const deadline = performance.now() + PROMPT_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (socket.readyState !== WebSocket.OPEN) throw new Error('terminal WebSocket closed');
    if (lastOutput > 0 && performance.now() - lastOutput > 300) return;
    await sleep(50);
  }
  throw new Error('terminal printed no prompt');
}
