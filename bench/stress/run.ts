/**
 * `npm run bench:stress`: hostile and unlucky clients against one sidecar, as the wheel runs
 * it (`node --jitless <bundle> --unix-socket`; build the bundle first: `npm run build:sidecar`).
 * Phases, each bounded in count and time, all on a Unix socket of this machine:
 *   slowloris        N connections trickling header bytes, never finishing the request
 *   idle             2,000 connections that connect and send nothing
 *   websockets       1,000 WebSocket clients on /api/v1/stream
 *   never-reading    WebSocket and /api/v1/history clients whose socket is never read
 * During each, a good client asks /api/v1/metrics once every 100 ms; the report gives its p99,
 * the sidecar's RSS before/max/after and its open descriptors, and how many hostile
 * connections the sidecar still held at the phase's end. Writes docs/benchmarks/stress.md
 * (or --out DIR) and prints the table. Options: --node PATH, --phase-seconds S.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { describeMachine, machineMarkdown } from '../ui/machine.js';
import { rssBytes } from '../ui/proc.js';
import { max, percentile } from '../ui/stats.js';
import { BUNDLE, mb, openFds, ROOT, startSidecar, timedGet } from '../sidecarProcess.js';

const GOOD_CLIENT_EVERY_MS = 100;
/** A good request that takes longer than this counts as failed (and as this long). */
const GOOD_CLIENT_TIMEOUT_MS = 5_000;

interface PhaseResult {
  phase: string;
  hostile: number;
  /** Hostile connections still open when the phase ended (the sidecar did not drop them). */
  held: number;
  goodRequests: number;
  goodFailed: number;
  goodP99Ms: number;
  rssBeforeMb: number;
  rssMaxMb: number;
  rssAfterMb: number;
  fdsMax: number;
}

/** Connects; a full accept queue (EAGAIN on a Unix socket) is retried for up to a second, as a client would. */
async function connect(socketPath: string): Promise<net.Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<net.Socket>((resolvePromise, reject) => {
        const socket = net.connect(socketPath);
        socket.once('connect', () => resolvePromise(socket));
        socket.once('error', reject);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || attempt >= 100) throw error;
      await sleep(10);
    }
  }
}

/** `count` hostile sockets, opened one after another; `prepare` sets each one up once connected. */
async function openSockets(
  socketPath: string,
  count: number,
  prepare: (socket: net.Socket, index: number) => void
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await connect(socketPath);
    socket.on('error', () => undefined);
    prepare(socket, i);
    sockets.push(socket);
  }
  return sockets;
}

/**
 * Runs `attack` (which opens the hostile connections and returns them) for `seconds` while a
 * good client polls; then counts the hostile connections still open and closes them.
 */
async function phase(
  name: string,
  sidecar: ChildProcess,
  socketPath: string,
  seconds: number,
  attack: () => Promise<{ hostile: number; isOpen: () => number; close: () => void }>
): Promise<PhaseResult> {
  const pid = sidecar.pid!;
  const rssBefore = rssBytes(pid);
  const latencies: number[] = [];
  let failed = 0;
  let rssMax = rssBefore ?? 0;
  let fdsMax = openFds(pid);
  let running = true;
  const good = (async () => {
    while (running) {
      const latency = (await timedGet(socketPath, '/api/v1/metrics', GOOD_CLIENT_TIMEOUT_MS))?.ms ?? null;
      if (latency === null) failed++;
      latencies.push(latency ?? GOOD_CLIENT_TIMEOUT_MS);
      rssMax = Math.max(rssMax, rssBytes(pid) ?? 0);
      fdsMax = Math.max(fdsMax, openFds(pid));
      await sleep(GOOD_CLIENT_EVERY_MS);
    }
  })();
  const attackers = await attack();
  await sleep(seconds * 1000);
  const held = attackers.isOpen();
  attackers.close();
  running = false;
  await good;
  // Let the sidecar notice the closes before "after".
  await sleep(2000);
  const result: PhaseResult = {
    phase: name,
    hostile: attackers.hostile,
    held,
    goodRequests: latencies.length,
    goodFailed: failed,
    goodP99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    rssBeforeMb: mb(rssBefore),
    rssMaxMb: mb(rssMax),
    rssAfterMb: mb(rssBytes(pid)),
    fdsMax
  };
  console.log(JSON.stringify(result));
  return result;
}

/** Hostile sockets; one counts as held until it is destroyed (a server close destroys it). */
function tracked(sockets: net.Socket[]) {
  return {
    isOpen: () => sockets.filter(socket => !socket.destroyed).length,
    close: () => sockets.forEach(socket => socket.destroy())
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      node: { type: 'string', default: process.execPath },
      'phase-seconds': { type: 'string', default: '20' },
      out: { type: 'string', default: join(ROOT, 'docs/benchmarks') }
    }
  });
  const seconds = Number(values['phase-seconds']);
  const dir = mkdtempSync(join(tmpdir(), 'bench-stress-'));
  const socketPath = join(dir, 'sidecar.sock');
  const sidecar = await startSidecar([values.node!, '--jitless', BUNDLE, '--unix-socket', socketPath]);
  const results: PhaseResult[] = [];
  try {
    results.push(await phase('baseline', sidecar, socketPath, seconds, async () => ({ hostile: 0, ...tracked([]) })));
    results.push(
      await phase('slowloris (200, a header byte every 2 s)', sidecar, socketPath, seconds, async () => {
        const sockets = await openSockets(socketPath, 200, socket =>
          socket.write('GET /api/v1/metrics HTTP/1.1\r\nHost: x\r\n')
        );
        const trickle = setInterval(() => sockets.forEach(socket => socket.writable && socket.write('X')), 2000);
        const connections = tracked(sockets);
        return {
          hostile: sockets.length,
          isOpen: connections.isOpen,
          close: () => (clearInterval(trickle), connections.close())
        };
      })
    );
    results.push(
      await phase('idle connections (2,000)', sidecar, socketPath, seconds, async () => {
        // Reading (and discarding): a paused socket would never notice the server closing it.
        const sockets = await openSockets(socketPath, 2000, socket => socket.resume());
        return { hostile: sockets.length, ...tracked(sockets) };
      })
    );
    results.push(
      await phase('WebSocket clients (1,000)', sidecar, socketPath, seconds, async () => {
        const clients: WebSocket[] = [];
        for (let i = 0; i < 1000; i++) {
          const client = new WebSocket(`ws+unix://${socketPath}:/api/v1/stream`);
          client.on('error', () => undefined);
          await new Promise(opened => client.once('open', opened).once('error', opened));
          clients.push(client);
        }
        return {
          hostile: clients.length,
          isOpen: () => clients.filter(c => c.readyState === WebSocket.OPEN).length,
          close: () => clients.forEach(c => c.terminate())
        };
      })
    );
    results.push(
      await phase('never-reading (50 WebSocket + 20 full-history)', sidecar, socketPath, seconds, async () => {
        const sockets = await openSockets(socketPath, 70, (socket, i) => {
          socket.write(
            i < 50
              ? 'GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
                  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
              : 'GET /api/v1/history HTTP/1.1\r\nHost: x\r\n\r\n'
          );
          socket.pause();
        });
        return { hostile: sockets.length, ...tracked(sockets) };
      })
    );
  } finally {
    sidecar.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.map(
    r =>
      `| ${r.phase} | ${r.hostile} | ${r.held} | ${r.goodRequests} | ${r.goodFailed} | ${r.goodP99Ms} | ${r.rssBeforeMb} / ${r.rssMaxMb} / ${r.rssAfterMb} | ${r.fdsMax} |`
  );
  const markdown = [
    '# Stress: hostile clients against one sidecar (`npm run bench:stress`)',
    '',
    `Each phase runs ${seconds} s on the sidecar's Unix socket (\`node --jitless\` bundle, ${values.node}),`,
    `while a good client asks \`/api/v1/metrics\` every ${GOOD_CLIENT_EVERY_MS} ms (a failure counts as ${GOOD_CLIENT_TIMEOUT_MS} ms).`,
    '"Held" is how many hostile connections were still open at the phase\'s end: requests not received',
    'within 10 s get 408 and are dropped; WebSocket clients are kept on purpose (one that stops reading',
    'skips samples once 1 MiB is queued); a history stream nobody reads is dropped after 30 s, longer than a phase.',
    '',
    ...machineMarkdown(describeMachine()),
    '',
    '| phase | hostile | held | good requests | good failed | good p99 ms | RSS MB before / max / after | fds max |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Peak RSS over all phases: ${max(results.map(r => r.rssMaxMb))} MB.`,
    ''
  ].join('\n');
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'stress.md'), markdown);
  writeFileSync(join(values.out!, 'stress-results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(markdown);
}

void main().then(() => process.exit(0));
