/** What a process listens on and what it does with signals, read from /proc (shared by cli.test.ts and the end-to-end tests). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP ports process `pid` listens on: its socket inodes matched against /proc/net/tcp{,6}. */
export function tcpListeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1] as string);
    } catch {
      // closed while we looked
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
      if (fields[3] === '0A' && inodes.has(fields[9] as string)) {
        ports.push(parseInt((fields[1] as string).split(':')[1] as string, 16));
      }
    }
  }
  return ports;
}

/**
 * Whether `signal` is in one of the signal masks of process `pid` (its main thread):
 * SigBlk blocked, SigIgn ignored, SigCgt caught, ShdPnd pending for the process.
 */
export function inSignalMask(pid: number, mask: 'SigBlk' | 'SigIgn' | 'SigCgt' | 'ShdPnd', signal: number): boolean {
  const hex = new RegExp(`^${mask}:\\s*([0-9a-f]+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

/** Waits (bounded) until `signal`, sent to `pid`, is pending there: blocked, so held, not acted on. */
export async function untilPending(pid: number, signal: number, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!inSignalMask(pid, 'ShdPnd', signal)) {
    if (Date.now() > deadline) throw new Error(`signal ${signal} not pending in ${pid} after ${timeoutMs} ms`);
    await new Promise(resolve => setImmediate(resolve));
  }
}
