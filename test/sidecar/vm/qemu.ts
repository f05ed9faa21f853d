/**
 * Host side of the real-kernel test: prepares the VM's files (prepare.sh) and boots Debian's
 * stock kernel in qemu under TCG with the host's root shared read-only over 9p; the guest
 * runner (guest.ts) writes its records to the second serial port, the console goes to the
 * first. One boot runs every case.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunRecord } from './guest.js';

const ROOT = resolve(__dirname, '../../..');
const PREPARE = join(ROOT, 'test/sidecar/vm/prepare.sh');
/** prepare.sh's exit code when qemu cannot be installed. */
const NO_QEMU = 3;
const SWAP_DISK_BYTES = 256 * 1024 * 1024;
const CONSOLE_TAIL_LINES = 40;

export interface VmFiles {
  KERNEL: string;
  INITRD: string;
  GUEST: string;
  SIDECAR: string;
}

/** What the guest wrote: its records by name, runs that failed, and the console for error reports. */
export interface VmRun {
  records: Map<string, RunRecord>;
  errors: string[];
  console: string;
  seconds: number;
}

/** A reason to skip: qemu is not there and cannot be installed, or does not start. */
export class VmUnavailable extends Error {}

export function consoleTail(text: string): string {
  return text.split('\n').slice(-CONSOLE_TAIL_LINES).join('\n');
}

/** Runs prepare.sh (quick when everything is there) and returns the files it names. */
export function prepareVm(): VmFiles {
  const result = spawnSync('bash', [PREPARE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === NO_QEMU) {
    throw new VmUnavailable(`qemu cannot be installed: ${result.stderr.trim()}`);
  }
  if (result.status !== 0) {
    throw new Error(`prepare.sh exited with ${String(result.status)}:\n${result.stdout}\n${result.stderr}`);
  }
  const files = Object.fromEntries(
    result.stdout
      .split('\n')
      .map(line => /^([A-Z]+)=(.+)$/.exec(line))
      .filter(match => match !== null)
      .map(match => [match[1], match[2]])
  );
  for (const key of ['KERNEL', 'INITRD', 'GUEST', 'SIDECAR']) {
    if (!files[key]) {
      throw new Error(`prepare.sh named no ${key}:\n${result.stdout}`);
    }
  }
  return files as unknown as VmFiles;
}

function qemuArguments(files: VmFiles, dir: string): string[] {
  return [
    ...['-accel', 'tcg', '-m', '1536M', '-smp', '2', '-no-reboot', '-nodefaults', '-display', 'none'],
    ...['-kernel', files.KERNEL, '-initrd', files.INITRD],
    // Unknown `name=value` parameters reach init as environment variables.
    ...[
      '-append',
      `console=ttyS0 panic=-1 loglevel=4 cgroup_no_v1=all vmguest=${files.GUEST} vmsidecar=${files.SIDECAR} vmcheckout=${ROOT}`
    ],
    ...['-fsdev', 'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap'],
    ...['-device', 'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot'],
    // The checkout on its own: under /tmp (where a CI clone may live) the guest's fresh tmpfs would hide it.
    ...['-fsdev', `local,id=checkout,path=${ROOT},security_model=none,readonly=on,multidevs=remap`],
    ...['-device', 'virtio-9p-pci,fsdev=checkout,mount_tag=checkout'],
    ...['-drive', `file=${join(dir, 'swap.img')},format=raw,if=virtio`],
    ...['-serial', `file:${join(dir, 'console.log')}`, '-serial', `file:${join(dir, 'results.log')}`]
  ];
}

/** Boots the VM, waits for it to power off (killing it at `timeoutMs`), and reads what the guest wrote. */
export async function runVm(files: VmFiles, timeoutMs: number): Promise<VmRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cgroup-usage-vm-'));
  const started = Date.now();
  try {
    writeFileSync(join(dir, 'swap.img'), '');
    truncateSync(join(dir, 'swap.img'), SWAP_DISK_BYTES);
    const qemu = spawn('qemu-system-x86_64', qemuArguments(files, dir), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    qemu.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, timeoutMs);
    const [code] = (await Promise.race([once(qemu, 'exit'), once(qemu, 'error')])) as [number | null | Error];
    clearTimeout(timer);
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8').replace(/\r/g, '');
      } catch {
        return '';
      }
    };
    const consoleText = read('console.log');
    if (timedOut) {
      throw new Error(`the VM did not finish within ${timeoutMs / 1000} s; console:\n${consoleTail(consoleText)}`);
    }
    // qemu itself refused (no such binary, bad accelerator...) before the guest printed anything.
    if (code instanceof Error || (code !== 0 && consoleText === '')) {
      throw new VmUnavailable(`qemu did not start: ${code instanceof Error ? code.message : stderr.trim()}`);
    }
    const lines = read('results.log')
      .split('\n')
      .filter(line => line.startsWith('{'))
      .map(line => JSON.parse(line) as RunRecord & { done?: true; error?: string });
    if (!lines.some(line => line.done)) {
      throw new Error(
        `the guest runner did not finish (qemu exit ${String(code)}); console:\n${consoleTail(consoleText)}`
      );
    }
    return {
      records: new Map(lines.filter(line => line.sample || line.kernel).map(line => [line.run, line])),
      errors: lines.filter(line => line.error).map(line => `${line.run}: ${line.error}`),
      console: consoleText,
      seconds: (Date.now() - started) / 1000
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
