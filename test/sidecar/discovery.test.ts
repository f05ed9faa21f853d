/** Finding the cgroup directories from /proc/self/cgroup and /proc/self/mountinfo. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { discover, findOwnCgroup, parseMountinfo, parseProcCgroup } from '../../sidecar/src/discovery.js';

const FIXTURES = path.join(__dirname, 'fixtures');

function discoverFixture(name: string) {
  const root = path.join(FIXTURES, name);
  return { root, discovery: discover(path.join(root, 'proc'), path.join(root, 'sys')) };
}

describe('parsers', () => {
  test('/proc/self/cgroup: v2, v1 joined controllers, named hierarchies, colons in paths', () => {
    assert.deepEqual(parseProcCgroup('0::/a/b\n4:cpu,cpuacct:/docker/x\n1:name=systemd:/\n2:pids:/odd:name\n'), [
      { controllers: [], path: '/a/b' },
      { controllers: ['cpu', 'cpuacct'], path: '/docker/x' },
      { controllers: ['name=systemd'], path: '/' },
      { controllers: ['pids'], path: '/odd:name' }
    ]);
  });

  test('mountinfo: only cgroup mounts, optional fields skipped, octal escapes decoded', () => {
    const text = [
      '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw',
      '26 23 0:24 / /sys/fs/cgroup rw,nosuid shared:4 master:2 - cgroup2 cgroup2 rw,nsdelegate',
      '702 700 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime master:15 - cgroup cgroup rw,cpu,cpuacct',
      '703 700 0:31 /with\\040space /mnt/cg\\040x rw - cgroup cgroup rw,memory'
    ].join('\n');
    assert.deepEqual(parseMountinfo(text), [
      { version: 2, root: '/', mountPoint: '/sys/fs/cgroup', controllers: [] },
      {
        version: 1,
        root: '/docker/abc',
        mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
        controllers: ['rw', 'cpu', 'cpuacct']
      },
      { version: 1, root: '/with space', mountPoint: '/mnt/cg x', controllers: ['rw', 'memory'] }
    ]);
  });
});

describe('discover', () => {
  test('v2 with a namespace: the mount point itself, no ancestors', () => {
    const { root, discovery } = discoverFixture('v2-namespace');
    assert.equal(discovery.kind, 'cgroup-v2');
    assert.ok(discovery.kind === 'cgroup-v2');
    const mount = path.join(root, 'sys/fs/cgroup');
    assert.deepEqual(discovery.cgroup, { dir: mount, chain: [mount] });
    assert.deepEqual(discovery.problems, []);
  });

  test('v2 nested without a namespace: the chain climbs to the mount point', () => {
    const { root, discovery } = discoverFixture('v2-kubernetes-nested');
    assert.ok(discovery.kind === 'cgroup-v2');
    const mount = path.join(root, 'sys/fs/cgroup');
    const { chain } = discovery.cgroup;
    assert.equal(chain.length, 5);
    assert.equal(chain[0], discovery.cgroup.dir);
    assert.match(chain[0], /cri-containerd-0123.*\.scope$/);
    assert.match(chain[1], /kubepods-burstable-pod6f1c2b3a_.*\.slice$/);
    assert.equal(chain[3], path.join(mount, 'kubepods.slice'));
    assert.equal(chain[4], mount);
  });

  test('hybrid: v1 wins when the v2 tree carries neither memory nor cpu; v2 kept for PSI', () => {
    const { root, discovery } = discoverFixture('v1-hybrid-parent-limit');
    assert.ok(discovery.kind === 'cgroup-v1');
    const cgroupfs = path.join(root, 'sys/fs/cgroup');
    assert.deepEqual(discovery.controllers.memory, {
      dir: path.join(cgroupfs, 'memory/process_api/9fdd4c252c015ba1'),
      chain: [
        path.join(cgroupfs, 'memory/process_api/9fdd4c252c015ba1'),
        path.join(cgroupfs, 'memory/process_api'),
        path.join(cgroupfs, 'memory')
      ]
    });
    assert.deepEqual(discovery.controllers.pids, {
      dir: path.join(cgroupfs, 'pids'),
      chain: [path.join(cgroupfs, 'pids')]
    });
    assert.equal(discovery.unified?.dir, path.join(cgroupfs, 'unified'));
  });

  test('Docker v1: the mount root /docker/<id> is stripped; joined cpu,cpuacct share one directory', () => {
    const { root, discovery } = discoverFixture('v1-docker-mount-root');
    assert.ok(discovery.kind === 'cgroup-v1');
    const cpu = path.join(root, 'sys/fs/cgroup/cpu,cpuacct');
    assert.deepEqual(discovery.controllers.cpu, { dir: cpu, chain: [cpu] });
    assert.deepEqual(discovery.controllers.cpuacct, { dir: cpu, chain: [cpu] });
    assert.equal(discovery.controllers.memory?.dir, path.join(root, 'sys/fs/cgroup/memory'));
    assert.equal(discovery.unified, null);
    assert.deepEqual(discovery.problems, []);
  });

  test('no /proc/self/cgroup: host, silently', () => {
    assert.deepEqual(discoverFixture('no-cgroup').discovery, { kind: 'host', problems: [] });
  });

  test('a path outside the mount root falls back to the mount point, with a problem', () => {
    const { root, discovery } = discoverFixture('v2-outside-mount-root');
    assert.ok(discovery.kind === 'cgroup-v2');
    assert.equal(discovery.cgroup.dir, path.join(root, 'sys/fs/cgroup'));
    assert.equal(discovery.problems.length, 1);
    assert.match(discovery.problems[0], /outside the mount root/);
  });

  test('with the default --sys-root, a mount point outside /sys is read where it is', () => {
    withTree({ 'proc/self/cgroup': '0::/job\n', 'cg/job/cgroup.controllers': 'memory\n' }, work => {
      writeMountinfo(work, `40 31 0:38 / ${work}/cg rw - cgroup2 cgroup2 rw`);
      const discovery = discoverIn(work, '/sys');
      assert.ok(discovery.kind === 'cgroup-v2');
      assert.deepEqual(discovery.cgroup.chain, [path.join(work, 'cg/job'), path.join(work, 'cg')]);
    });
  });

  test('with --sys-root given, a mount point outside /sys is never read: skipped with a problem', () => {
    withTree({ 'proc/self/cgroup': '0::/job\n', 'cg/job/cgroup.controllers': 'memory\n' }, work => {
      writeMountinfo(work, `40 31 0:38 / ${work}/cg rw - cgroup2 cgroup2 rw`);
      const discovery = discoverIn(work);
      assert.deepEqual(discovery, {
        kind: 'host',
        problems: [`${work}/cg: mount point outside /sys; not read with --sys-root ${work}/sys`]
      });
    });
  });

  test('hybrid whose v2 tree carries memory: v2 wins over the v1 controllers', () => {
    const files = {
      'proc/self/cgroup': '4:memory:/\n0::/user.slice\n',
      'sys/fs/cgroup/unified/user.slice/cgroup.controllers': 'cpu memory pids\n'
    };
    withTree(files, work => {
      writeMountinfo(
        work,
        '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
        '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'
      );
      const discovery = discoverIn(work);
      assert.ok(discovery.kind === 'cgroup-v2');
      assert.equal(discovery.cgroup.dir, path.join(work, 'sys/fs/cgroup/unified/user.slice'));
    });
  });

  test('cgroupns keeping the outer mount (root /../..): the cgroup two levels down whose cgroup.procs lists our PID', () => {
    const { root, discovery } = discoverFixture('v2-cgroupns-inherited-mount');
    assert.ok(discovery.kind === 'cgroup-v2');
    const mount = path.join(root, 'sys/fs/cgroup');
    // PID 4242 (proc/self/stat) is listed in user-1000.slice; 42424 and 14242 elsewhere are not it.
    assert.deepEqual(discovery.cgroup.chain, [
      path.join(mount, 'user.slice/user-1000.slice'),
      path.join(mount, 'user.slice'),
      mount
    ]);
    assert.equal(discovery.pressureScope, 'cgroup');
    assert.deepEqual(discovery.problems, []);
  });

  test('cgroupns keeping the outer mount: the path below the namespace root is kept; v1 hierarchies too', () => {
    const files = {
      'proc/self/cgroup': '5:memory:/inner\n0::/inner\n',
      'proc/self/stat': '77 (node) S 1 77 1 0 -1 0\n',
      'sys/fs/cgroup/memory/a/inner/cgroup.procs': '76\n77\n',
      'sys/fs/cgroup/memory/b/inner/cgroup.procs': '78\n',
      'sys/fs/cgroup/unified/a/cgroup.procs': '77\n',
      'sys/fs/cgroup/unified/b/inner/cgroup.procs': '77\n'
    };
    withTree(files, work => {
      writeMountinfo(
        work,
        '35 31 0:32 /.. /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
        '41 31 0:38 /.. /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'
      );
      const discovery = discoverIn(work);
      assert.ok(discovery.kind === 'cgroup-v1');
      const cgroupfs = path.join(work, 'sys/fs/cgroup');
      assert.deepEqual(discovery.controllers.memory?.chain, [
        path.join(cgroupfs, 'memory/a/inner'),
        path.join(cgroupfs, 'memory/a'),
        path.join(cgroupfs, 'memory')
      ]);
      // Exactly one level below the mount, then the path: a/cgroup.procs is not at that depth.
      assert.equal(discovery.unified?.dir, path.join(cgroupfs, 'unified/b/inner'));
      assert.deepEqual(discovery.problems, []);
    });
  });

  test('cgroupns keeping the outer mount, PID listed nowhere: the mount point, with a problem naming the PID', () => {
    const files = {
      'proc/self/cgroup': '0::/\n',
      'proc/self/stat': '77 (node) S 1 77 1 0 -1 0\n',
      'sys/fs/cgroup/cgroup.controllers': 'cpu memory\n',
      'sys/fs/cgroup/a/cgroup.procs': '177\n'
    };
    withTree(files, work => {
      writeMountinfo(work, '26 23 0:24 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
      const discovery = discoverIn(work);
      assert.ok(discovery.kind === 'cgroup-v2');
      assert.equal(discovery.cgroup.dir, path.join(work, 'sys/fs/cgroup'));
      // The mount point here is the real root (no cgroup.type): whole-machine PSI.
      assert.equal(discovery.pressureScope, 'machine');
      assert.deepEqual(discovery.problems, [
        '/sys/fs/cgroup: cgroup path / is outside the mount root /..; no cgroup 1 level(s) below it lists PID 77 in cgroup.procs, reading the mount point'
      ]);
    });
  });

  test('findOwnCgroup: the search is bounded, and a root that is not "/.." alone is not searched', () => {
    const files = {
      'cg/a/cgroup.procs': '',
      'cg/b/cgroup.procs': '',
      'cg/b/c/cgroup.procs': '',
      'cg/b/d/cgroup.procs': '1\n'
    };
    withTree(files, work => {
      // a, b, then b/c, b/d: four cgroups to look at, one more than allowed.
      assert.deepEqual(findOwnCgroup(path.join(work, 'cg'), { controllers: [], path: '/' }, '/../..', 1, 3), {
        problem:
          'cgroup path / is outside the mount root /../..; more than 3 cgroups to search for PID 1, reading the mount point'
      });
      assert.deepEqual(findOwnCgroup(path.join(work, 'cg'), { controllers: [], path: '/' }, '/../..', 1, 4), {
        relative: ['b', 'd']
      });
      assert.deepEqual(findOwnCgroup(path.join(work, 'cg'), { controllers: [], path: '/x' }, '/../y', 1), {
        problem: 'cgroup path /x is outside the mount root /../y; reading the mount point'
      });
    });
  });

  test("no proc/self/stat: the PID searched for is the sidecar's own", () => {
    const files = { 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/a/cgroup.procs': `${process.pid}\n` };
    withTree(files, work => {
      writeMountinfo(work, '26 23 0:24 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
      const discovery = discoverIn(work);
      assert.ok(discovery.kind === 'cgroup-v2');
      assert.equal(discovery.cgroup.dir, path.join(work, 'sys/fs/cgroup/a'));
    });
  });

  test('duplicate mounts of one hierarchy: the one under /sys wins over an earlier one elsewhere', () => {
    const files = { 'proc/self/cgroup': '0::/job\n', 'sys/fs/cgroup/job/cgroup.controllers': 'memory\n' };
    withTree(files, work => {
      writeMountinfo(
        work,
        '40 22 0:24 / /mnt/cgroup2 rw - cgroup2 cgroup2 rw',
        '26 23 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
        '41 22 0:24 / /tmp/cg rw - cgroup2 cgroup2 rw'
      );
      for (const sysRoot of [path.join(work, 'sys'), '/sys']) {
        // Both the given and the default --sys-root: the re-rooted /sys mount, never /mnt or /tmp.
        const discovery = discoverIn(work, sysRoot);
        assert.ok(discovery.kind === 'cgroup-v2');
        assert.equal(discovery.cgroup.dir, path.join(sysRoot, 'fs/cgroup/job'));
      }
    });
  });

  test('duplicate mounts: one under /sys holding the path beats a deeper root elsewhere; a later mount on the same point hides an earlier one', () => {
    const files = {
      'proc/self/cgroup': '0::/kubepods/pod1/c1\n',
      'sys/fs/cgroup/pod1/c1/cgroup.controllers': 'memory\n'
    };
    withTree(files, work => {
      writeMountinfo(
        work,
        '40 22 0:24 /kubepods/pod1/c1 /mnt/c1 rw - cgroup2 cgroup2 rw',
        '26 23 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
        '27 23 0:24 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw'
      );
      const discovery = discoverIn(work);
      assert.ok(discovery.kind === 'cgroup-v2');
      const mount = path.join(work, 'sys/fs/cgroup');
      assert.deepEqual(discovery.cgroup.chain, [path.join(mount, 'pod1/c1'), path.join(mount, 'pod1'), mount]);
      assert.deepEqual(discovery.problems, []);
    });
  });

  test('default --sys-root: a mount outside /sys is used when it is the only one holding the path', () => {
    const files = { 'proc/self/cgroup': '3:memory:/job\n', 'cgroup/memory/job/memory.stat': '' };
    withTree(files, work => {
      writeMountinfo(
        work,
        `30 22 0:30 / ${work}/cgroup/memory rw - cgroup cgroup rw,memory`,
        '31 23 0:30 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory'
      );
      const discovery = discoverIn(work, '/sys');
      assert.ok(discovery.kind === 'cgroup-v1');
      assert.equal(discovery.controllers.memory?.dir, path.join(work, 'cgroup/memory/job'));
      assert.equal(discovery.pressureScope, null);
    });
  });

  test('/proc/self/cgroup without any cgroup mount: host', () => {
    withTree({ 'proc/self/cgroup': '0::/\n' }, work => {
      writeMountinfo(work, '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw');
      assert.deepEqual(discoverIn(work), { kind: 'host', problems: [] });
    });
  });
});

/** Builds a throw-away tree from { relative path: content }, runs `check` in it, removes it. */
function withTree(files: Record<string, string>, check: (work: string) => void): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-discovery-'));
  try {
    for (const [relative, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(work, relative)), { recursive: true });
      fs.writeFileSync(path.join(work, relative), content);
    }
    check(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Discovery in a tree from withTree; --sys-root is the tree's own sys/ unless given. */
function discoverIn(work: string, sysRoot = path.join(work, 'sys')) {
  return discover(path.join(work, 'proc'), sysRoot);
}

function writeMountinfo(work: string, ...lines: string[]): void {
  fs.writeFileSync(path.join(work, 'proc/self/mountinfo'), lines.join('\n') + '\n');
}
