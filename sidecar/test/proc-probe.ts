/** What a process listens on and which signals it ignores, read from /proc (shared by cli.test.ts and the end-to-end tests). */
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

/** Whether process `pid` ignores `signal` (SIG_IGN: the kernel drops it when it is sent). */
export function ignoresSignal(pid: number, signal: number): boolean {
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return (BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n ? true : false;
}
