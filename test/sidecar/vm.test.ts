/**
 * The sidecar on a real cgroup v2 kernel: Debian's stock 6.1 kernel booted in qemu (TCG), a
 * pure v2 hierarchy, the host's root shared read-only (vm/qemu.ts, vm/guest.ts). One boot
 * runs every scenario; each case below compares what the guest set with what the sidecar
 * reported (and with the kernel's own figures read beside it). Skipped, with the reason,
 * only where qemu cannot be installed or started.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Sample } from '../../src/sample.js';
import { assertContractSample } from './contract-shape.js';
import type { RunRecord } from './vm/guest.js';
import { prepareVm, runVm, VmUnavailable, type VmRun } from './vm/qemu.js';

const MiB = 1024 * 1024;
/** The whole boot, on a loaded 2-core machine; a run takes about a minute. */
const VM_TIMEOUT_MS = 480_000;

interface VmCase {
  name: string;
  /** The guest's record the case reads. */
  record: string;
  /** Asserts; returns "what was set → what the sidecar reported" for the log. */
  check(sample: Sample, record: RunRecord): string;
}

const mib = (bytes: number | null) => (bytes === null ? 'null' : `${(bytes / MiB).toFixed(1)} MiB`);
const within = (value: number | null, low: number, high: number, what: string) =>
  assert.ok(value !== null && value >= low && value <= high, `${what} ${String(value)} not within [${low}, ${high}]`);

/** The sidecar alone in a cgroup namespace whose root is a cgroup with limits; the mount root as given. */
function namespaceCase(name: string, record: string, mountRoot: string): VmCase {
  return {
    name,
    record,
    check: ({ memory, cpu }, { set, kernel }) => {
      assert.equal(kernel.mountRoot, mountRoot);
      assert.equal(kernel.procSelfCgroup, '0::/');
      assert.equal(memory.limit, set['memory.max']);
      assert.equal(memory.limitSource, 'cgroup');
      assert.equal(cpu.limit, 1);
      // The namespace holds only the sidecar: its own working set, tens of MiB, not the machine's.
      within(memory.used, 1 * MiB, 128 * MiB, 'memory.used');
      return (
        `memory.max ${set['memory.max']}, cpu.max ${set['cpu.max']}, mount root ${kernel.mountRoot} → ` +
        `limit ${memory.limit}, cpu ${cpu.limit}, used ${mib(memory.used)}`
      );
    }
  };
}

const CASES: VmCase[] = [
  {
    name: 'memory limit of a 512 MiB cgroup',
    record: 'limited',
    check: ({ memory }, { set }) => {
      assert.equal(memory.limit, set['memory.max']);
      assert.equal(memory.limitSource, 'cgroup');
      return `memory.max ${set['memory.max']} → limit ${memory.limit} (${memory.limitSource})`;
    }
  },
  {
    name: 'working set of a 300 MiB workload',
    record: 'limited',
    check: ({ memory }, { set, kernel }) => {
      const workload = set.workload as number;
      // The workload's pages plus the node processes' own (the sidecar's among them).
      within(memory.used, workload, workload + 64 * MiB, 'working set');
      const kernelFigure = kernel.workingSetBefore as number;
      within(memory.used, kernelFigure - 16 * MiB, kernelFigure + 48 * MiB, 'working set beside the kernel figure');
      return `workload ${mib(workload)}, kernel working set ${mib(kernelFigure)} → used ${mib(memory.used)}`;
    }
  },
  {
    name: 'CPU limit, usage and throttling of a 0.5-CPU cgroup under two busy loops',
    record: 'limited',
    check: ({ cpu }, { set }) => {
      assert.equal(cpu.limit, 0.5);
      assert.equal(cpu.limitSource, 'cgroup');
      // A 250 ms window holds two or three 100 ms periods of 50 ms each; a busy host steals some.
      within(cpu.used, 0.25, 0.75, 'cpu.used');
      assert.ok((cpu.throttledRatio ?? 0) > 0, `throttledRatio ${String(cpu.throttledRatio)}`);
      return `cpu.max ${set['cpu.max']} → limit ${cpu.limit} (${cpu.limitSource}), used ${cpu.used?.toFixed(3)}, throttledRatio ${cpu.throttledRatio}`;
    }
  },
  {
    name: 'pids.max and pids.current',
    record: 'limited',
    check: ({ pids }, { set, kernel }) => {
      assert.equal(pids.max, set['pids.max']);
      // The tasks there before the sidecar started, plus the sidecar's own threads.
      within(pids.current, (kernel.pidsBefore as number) + 1, set['pids.max'] as number, 'pids.current');
      return `pids.max ${set['pids.max']}, ${kernel.pidsBefore} tasks before the sidecar → max ${pids.max}, current ${pids.current}`;
    }
  },
  {
    name: 'limits on the parent, the sidecar in a child',
    record: 'parent-limits',
    check: ({ memory, cpu }, { set, kernel }) => {
      assert.equal(memory.limit, set['pod/memory.max']);
      assert.equal(memory.limitSource, 'cgroup');
      assert.equal(cpu.limit, 0.75);
      assert.equal(cpu.limitSource, 'cgroup');
      const pod = kernel.podCpuStat as Record<string, number>;
      assert.ok(pod.nr_throttled > 0, 'the kernel throttled the pod');
      assert.ok(
        (cpu.throttledRatio ?? 0) > 0,
        `throttledRatio ${String(cpu.throttledRatio)} (read where the quota is)`
      );
      return (
        `pod memory.max ${set['pod/memory.max']}, cpu.max ${set['pod/cpu.max']} (pod nr_throttled ${pod.nr_throttled}) → ` +
        `limit ${memory.limit}, cpu ${cpu.limit}, throttledRatio ${cpu.throttledRatio}`
      );
    }
  },
  {
    name: 'an OOM kill in its own cgroup',
    record: 'oom-here',
    check: ({ memory }, { kernel }) => {
      const events = kernel.memoryEvents as Record<string, number>;
      assert.equal(kernel.victimSignal, 'SIGKILL');
      assert.ok(events.oom_kill >= 1);
      assert.equal(memory.oomKills, events.oom_kill);
      return `victim ${kernel.victimSignal}, memory.events oom_kill ${events.oom_kill} → oomKills ${memory.oomKills}`;
    }
  },
  {
    name: 'an OOM kill in a sibling cgroup is not counted',
    record: 'oom-neighbour',
    check: ({ memory }, { kernel }) => {
      const events = kernel.memoryEvents as Record<string, number>;
      assert.equal(events.oom_kill, 0);
      assert.equal(memory.oomKills, 0);
      return `sibling's victim ${kernel.victimSignal}, own oom_kill ${events.oom_kill} → oomKills ${memory.oomKills}`;
    }
  },
  {
    name: 'swap in use by a cgroup smaller than its workload',
    record: 'swap',
    check: ({ memory }, { set, kernel }) => {
      const [before, after] = [kernel.swapBefore as number, kernel.swapAfter as number];
      within(memory.swap, 48 * MiB, set.workload as number, 'memory.swap');
      // The sidecar's own pages push more of the workload out while it starts.
      within(memory.swap, before * 0.9, after * 1.1, 'memory.swap beside memory.swap.current');
      return (
        `memory.max ${mib(set['memory.max'] as number)}, workload ${mib(set.workload as number)}, ` +
        `memory.swap.current ${mib(before)}..${mib(after)} → swap ${mib(memory.swap)}`
      );
    }
  },
  {
    name: 'pressure from its own cgroup, not the machine',
    record: 'own-pressure',
    check: ({ pressure }, { kernel }) => {
      const [own, ownAfter, root] = ['ownBefore', 'ownAfter', 'rootBefore'].map(
        key => kernel[key] as Record<string, number>
      );
      for (const resource of ['cpu', 'memory', 'io'] as const) {
        within(
          pressure[resource]?.some.total ?? null,
          own[resource],
          ownAfter[resource],
          `${resource}.pressure some total`
        );
      }
      // The machine had stalls the cgroup did not (the noise cgroup): the two cannot be confused.
      assert.ok(ownAfter.cpu < root.cpu, `own cpu stall ${ownAfter.cpu} µs not below the machine's ${root.cpu} µs`);
      assert.equal(pressure.scope, 'cgroup');
      return (
        `cgroup cpu stall ${own.cpu}..${ownAfter.cpu} µs, machine ${root.cpu} µs → cpu some total ${pressure.cpu?.some.total}, ` +
        `avg10 ${pressure.cpu?.some.avg10}, scope ${pressure.scope}`
      );
    }
  },
  namespaceCase('cgroup namespace with a fresh cgroup2 mount', 'ns-fresh-mount', '/'),
  namespaceCase('cgroup namespace keeping the outer mount (mount root /..)', 'ns-inherited-mount', '/..'),
  {
    name: 'served over a Unix socket, stopped by SIGTERM',
    record: 'unix-socket',
    check: ({ memory, cpu }, { set, kernel }) => {
      assert.equal(kernel.indexStatus, 200);
      assert.equal(kernel.metricsStatus, 200);
      assert.equal(memory.limit, set['memory.max']);
      assert.notEqual(cpu.used, null);
      assert.equal(kernel.exitCode, 128 + 15, 'SIGTERM ends it with 143, so a supervisor restarts it');
      assert.equal(kernel.socketLeft, false, 'the socket file was left behind');
      return `GET / ${kernel.indexStatus}, /api/v1/metrics ${kernel.metricsStatus}: limit ${memory.limit} (set ${set['memory.max']}); SIGTERM → exit ${kernel.exitCode}, socket removed`;
    }
  }
];

describe('the sidecar on Debian 6.1, pure cgroup v2, in qemu', () => {
  let vm: VmRun | undefined;
  let unavailable: string | undefined;

  before(
    async () => {
      try {
        vm = await runVm(prepareVm(), VM_TIMEOUT_MS);
      } catch (error) {
        if (!(error instanceof VmUnavailable)) {
          throw error;
        }
        unavailable = error.message;
        console.log(`skipped: ${unavailable}`);
        return;
      }
      console.log(`VM run: ${vm.seconds.toFixed(1)} s wall time (boot, every scenario, power-off)`);
    },
    { timeout: VM_TIMEOUT_MS + 120_000 }
  );

  for (const vmCase of CASES) {
    it(vmCase.name, t => {
      if (!vm) {
        t.skip(unavailable);
        return;
      }
      const record = vm.records.get(vmCase.record);
      assert.ok(record, `no '${vmCase.record}' record from the guest; its errors: ${vm.errors.join('; ') || 'none'}`);
      if (typeof record.kernel.skipped === 'string') {
        t.skip(record.kernel.skipped);
        return;
      }
      assert.ok(record.sample, `'${vmCase.record}' has no sample`);
      const sample = assertContractSample(record.sample);
      assert.equal(sample.source, 'cgroup-v2');
      assert.deepEqual(sample.errors, []);
      console.log(`${vmCase.name}: ${vmCase.check(sample, record)}`);
    });
  }
});
