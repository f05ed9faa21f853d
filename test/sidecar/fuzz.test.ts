/**
 * Mutation fuzzing over the checked-in fixture trees (fast-check, fixed seed): one file of a
 * copied tree is truncated, flipped, given huge or negative numbers, emptied, given junk,
 * duplicate or re-spaced lines, or removed; the tree is read through createReader and
 * toSample. Every run must give a sample valid per the contract, with no NaN, Infinity or
 * negative figure, and the mutated file must be named in `errors` unless the reading is the
 * same as the unmutated tree's: never a silently different figure.
 *
 * Mutations that give another valid file are left out, since no parser can tell them from
 * the real one: a byte flip never turns a word character (letter, digit, _) into another
 * (2.00 → 2.40, oom_kill → oom_kilm), a space (meminfo pads its numbers) or a separator
 * (0-7 → 0,7), a cut never falls on a line boundary (a shorter file an
 * older kernel may write), and huge numbers are beyond u64. Two exceptions by design:
 * removing a file the kernel may legitimately leave out (files.ts: limits of the root, swap
 * and PSI files...) means "none" silently; and the discovery files (/proc/self/cgroup,
 * mountinfo, cgroup.controllers) choose the layout rather than a figure, so for them only
 * the contract is checked.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';

import { createReader } from '../../sidecar/src/reader.js';
import type { Reading } from '../../sidecar/src/reading.js';
import { toSample } from '../../sidecar/src/sampler.js';
import { assertContractSample } from './contract-shape.js';

const FIXTURES = path.join(__dirname, 'fixtures');
/** FUZZ_SEED / FUZZ_RUNS explore further; the test command uses the fixed defaults. */
const SEED = Number(process.env.FUZZ_SEED ?? 20240609);
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

/** Files the kernel may leave out: removing one changes figures to "none" or null without an error. */
const MAY_BE_ABSENT = new Set([
  'memory.max',
  'cpu.max',
  'pids.max',
  'pids.current',
  'memory.swap.current',
  'memory.events',
  'cpuset.cpus.effective',
  'cpuset.effective_cpus',
  'memory.memsw.usage_in_bytes',
  'memory.oom_control',
  'cpu.cfs_quota_us',
  'cpu.cfs_period_us',
  'cpu.stat',
  'cpu.pressure',
  'memory.pressure',
  'io.pressure',
  'vmstat',
  'cpu',
  'memory',
  'io'
]);
/** Files that steer discovery (which layout, which directories) rather than give a figure. */
const DISCOVERY_FILES = new Set(['proc/self/cgroup', 'proc/self/mountinfo']);
const isDiscoveryFile = (relative: string) => DISCOVERY_FILES.has(relative) || relative.endsWith('/cgroup.controllers');

interface Fixture {
  name: string;
  dir: string;
  /** Paths of the measured files, relative to the fixture. */
  files: string[];
  diskPath: string;
  env: Record<string, string>;
  baseline: unknown;
}

function listFiles(dir: string, relative = ''): string[] {
  return fs.readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap(entry => {
    const child = path.join(relative, entry.name);
    return entry.isDirectory() ? listFiles(dir, child) : [child];
  });
}

/** The reading with the tree's location and the machine-dependent disk figures taken out. */
function comparable(reading: Reading, tree: string): { figures: unknown; errors: string[] } {
  const { errors, disk, ...figures } = reading;
  const text = JSON.stringify({ ...figures, disk: disk && disk.path });
  return {
    figures: JSON.parse(text.split(tree).join('<tree>')),
    errors: errors.map(error => error.split(tree).join('<tree>'))
  };
}

let work: string;
let treeCount = 0;

async function readTree(fixture: Fixture, mutate: (tree: string) => void): Promise<{ reading: Reading; tree: string }> {
  const tree = path.join(work, `tree-${treeCount++}`);
  fs.cpSync(fixture.dir, tree, { recursive: true });
  mutate(tree);
  const reader = createReader({
    procRoot: path.join(tree, 'proc'),
    sysRoot: path.join(tree, 'sys'),
    diskPath: path.join(tree, fixture.diskPath),
    env: fixture.env
  });
  const reading = await reader.read();
  reader.close(); // hundreds of trees: their descriptors must not pile up
  fs.rmSync(tree, { recursive: true, force: true });
  return { reading, tree };
}

/** Every number in the sample must be finite and non-negative (bytes, cores, counts, ratios). */
function assertSaneNumbers(value: unknown, where: string): void {
  if (typeof value === 'number') {
    assert.ok(Number.isFinite(value) && value >= 0, `${where}: ${value}`);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      assertSaneNumbers(child, `${where}.${key}`);
    }
  }
}

type Mutation = { kind: string; apply: (text: string) => string | null };

const NUMBER = /\d+/g;

/** Replaces the n-th number in the text (wrapping around); the text as is when it has none. */
function replaceNumber(text: string, n: number, replace: (digits: string) => string): string {
  const count = text.match(NUMBER)?.length ?? 0;
  if (count === 0) {
    return text;
  }
  let seen = 0;
  return text.replace(NUMBER, digits => (seen++ === n % count ? replace(digits) : digits));
}

function atLine(text: string, n: number, change: (lines: string[], index: number) => void): string {
  const lines = text.split('\n');
  change(lines, n % lines.length);
  return lines.join('\n');
}

const isWordByte = (byte: number) => /\w/.test(String.fromCharCode(byte));
const isWordSpaceOrSeparator = (byte: number) => /[\w ,.:=-]/.test(String.fromCharCode(byte));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(at => ({
    kind: `truncate at ${at}`,
    apply: (text: string) => {
      const cut = text.slice(0, at % Math.max(1, text.length));
      return cut.endsWith('\n') ? cut.slice(0, -1) : cut;
    }
  })),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, bits]) => ({
    kind: `flip byte ${at} by ${bits}`,
    apply: (text: string) => {
      const bytes = Buffer.from(text, 'latin1');
      if (bytes.length > 0) {
        const index = at % bytes.length;
        const flipped = bytes[index] ^ bits;
        // Such a flip can give another valid file: flip the top bit instead.
        const valid =
          (isWordByte(bytes[index]) || /[,.:=-]/.test(String.fromCharCode(bytes[index]))) &&
          isWordSpaceOrSeparator(flipped);
        bytes[index] = valid ? bytes[index] ^ 0x80 : flipped;
      }
      return bytes.toString('latin1');
    }
  })),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('18446744073709551616', '99999999999999999999999', '9'.repeat(400), '1' + '0'.repeat(25))
    )
    .map(([n, huge]) => ({
      kind: `huge number ${huge.slice(0, 20)} at ${n}`,
      apply: (text: string) => replaceNumber(text, n, () => huge)
    })),
  fc.nat().map(n => ({
    kind: `negative number at ${n}`,
    apply: (text: string) => replaceNumber(text, n, digits => `-${digits}`)
  })),
  fc.constant({ kind: 'empty', apply: () => '' }),
  fc
    .tuple(fc.nat(), fc.constantFrom('junk', 'x 1', 'some', '0-3', 'max', '=', 'total=1', 'usage_usec', '\0\0'))
    .map(([n, junk]) => ({
      kind: `junk line ${JSON.stringify(junk)} at ${n}`,
      apply: (text: string) => atLine(text, n, (lines, index) => lines.splice(index, 0, junk))
    })),
  fc.constant({ kind: 'removed', apply: () => null }),
  fc.tuple(fc.nat(), fc.nat({ max: 1_000_000 })).map(([n, other]) => ({
    kind: `line ${n} duplicated with ${other}`,
    apply: (text: string) =>
      atLine(text, n, (lines, index) => lines.splice(index, 0, lines[index].replace(NUMBER, String(other))))
  })),
  fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '\n', '  \n', '\r')).map(([at, space]) => ({
    kind: `whitespace ${JSON.stringify(space)} at ${at}`,
    apply: (text: string) => {
      const index = at % (text.length + 1);
      return text.slice(0, index) + space + text.slice(index);
    }
  }))
);

describe('fuzzing the fixture trees', () => {
  const fixtures: Fixture[] = [];

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgroup-fuzz-'));
    for (const name of fs.readdirSync(FIXTURES)) {
      const dir = path.join(FIXTURES, name);
      if (!fs.statSync(dir).isDirectory()) {
        continue;
      }
      const casePath = path.join(dir, 'case.json');
      const options = fs.existsSync(casePath) ? JSON.parse(fs.readFileSync(casePath, 'utf8')) : {};
      const fixture: Fixture = {
        name,
        dir,
        files: listFiles(dir).filter(file => file.startsWith('proc/') || file.startsWith('sys/')),
        diskPath: options.diskPath ?? '',
        env: options.env ?? {},
        baseline: null
      };
      const { reading, tree } = await readTree(fixture, () => undefined);
      fixture.baseline = comparable(reading, tree).figures;
      fixtures.push(fixture);
    }
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it(`${RUNS} mutated trees: contract-valid samples, and no silently different figure`, async () => {
    const run = fc.record({ fixture: fc.nat(), file: fc.nat(), mutation });
    await fc.assert(
      fc.asyncProperty(run, async ({ fixture: fixtureIndex, file: fileIndex, mutation }) => {
        const fixture = fixtures[fixtureIndex % fixtures.length];
        const relative = fixture.files[fileIndex % fixture.files.length];
        let mutated: string | null = null;
        const { reading, tree } = await readTree(fixture, tree => {
          const file = path.join(tree, relative);
          mutated = mutation.apply(fs.readFileSync(file, 'latin1'));
          if (mutated === null) {
            fs.rmSync(file);
          } else {
            fs.writeFileSync(file, mutated, 'latin1');
          }
        });
        const context = `${fixture.name}/${relative}, ${mutation.kind}: ${JSON.stringify(mutated)?.slice(0, 300)}`;

        const timed = { reading, monotonicSeconds: 1 };
        for (const sample of [
          toSample(null, timed, Date.now()),
          toSample({ reading, monotonicSeconds: 0 }, timed, Date.now())
        ]) {
          assertSaneNumbers(sample, `${context}: sample`);
          assertContractSample(JSON.parse(JSON.stringify(sample)));
        }

        if (isDiscoveryFile(relative) || (mutated === null && MAY_BE_ABSENT.has(path.basename(relative)))) {
          return;
        }
        const { figures, errors } = comparable(reading, tree);
        // cgroup-v1 reports a bad quota/period pair once, under cpu.cfs_quota_us.
        const names = [relative, relative.replace(/cpu\.cfs_period_us$/, 'cpu.cfs_quota_us')];
        const named = errors.some(error => names.some(name => error.includes(`<tree>/${name}:`)));
        if (!named) {
          assert.deepEqual(figures, fixture.baseline, `${context}: figures changed, errors ${JSON.stringify(errors)}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true }
    );
  });
});
