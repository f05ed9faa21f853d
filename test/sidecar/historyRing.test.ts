import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HistoryRing, decode, encode } from '../../sidecar/src/historyRing.js';
import { createReader } from '../../sidecar/src/reader.js';
import type { ReaderOptions } from '../../sidecar/src/reading.js';
import { timedRead, toSample } from '../../sidecar/src/sampler.js';

const FIXTURES = path.join(__dirname, 'fixtures');

function roundTrip(value: unknown): string {
  const { parts, numbers } = encode(value);
  assert.equal(parts.length, numbers.length + 1);
  return decode(parts, numbers);
}

/** Two readings a moment apart, so cpu.used and throttledRatio are derived too. */
async function realSample(options: ReaderOptions): Promise<unknown> {
  const reader = createReader(options);
  const first = await timedRead(reader);
  return toSample(first, await timedRead(reader), Date.now());
}

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  5e-324,
  Number.MAX_VALUE,
  2 ** 53,
  -(2 ** 53) - 2,
  NaN,
  Infinity,
  -Infinity
];
// Quotes, escapes, control characters (U+0000 included), a lone surrogate, non-BMP text.
const AWKWARD_CHARS = ['a', '"', '\\', '\u0000', '\n', '\u001f', '\u2028', '\ud800', '😀', 'é', '1', ':', ','];

/** A random JSON-ish value: nested objects and arrays, undefined members, every kind of scalar. */
function generate(random: () => number, depth: number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const text = (): string => Array.from({ length: Math.floor(random() * 5) }, () => pick(AWKWARD_CHARS)).join('');
  const kind = Math.floor(random() * (depth > 0 ? 9 : 7));
  switch (kind) {
    case 0:
      return pick(AWKWARD_NUMBERS);
    case 1:
      return (random() - 0.5) * 10 ** Math.floor(random() * 30 - 10);
    case 2:
      return text();
    case 3:
      return random() < 0.5;
    case 4:
      return null;
    case 5:
      return undefined;
    case 6:
      return Math.floor(random() * 2 ** 53);
    case 7:
      return Array.from({ length: Math.floor(random() * 5) }, () => generate(random, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [text(), generate(random, depth - 1)])
      );
  }
}

describe('encode and decode', () => {
  it('give back exactly JSON.stringify of the samples of every fixture tree', async () => {
    const cases = fs.readdirSync(FIXTURES).filter(name => fs.existsSync(path.join(FIXTURES, name, 'proc')));
    assert.ok(cases.length >= 5, `fixture cases: ${cases.join(', ')}`);
    for (const name of cases) {
      const caseDir = path.join(FIXTURES, name);
      const sample = await realSample({
        procRoot: path.join(caseDir, 'proc'),
        sysRoot: path.join(caseDir, 'sys'),
        diskPath: caseDir,
        env: {}
      });
      assert.equal(roundTrip(sample), JSON.stringify(sample), name);
    }
  });

  it("give back exactly JSON.stringify of this machine's sample", async () => {
    const sample = await realSample({ procRoot: '/proc', sysRoot: '/sys', diskPath: process.cwd(), env: {} });
    assert.equal(roundTrip(sample), JSON.stringify(sample));
  });

  it('give back exactly JSON.stringify of 2,000 generated values (seed 9)', () => {
    const random = seeded(9);
    for (let i = 0; i < 2000; i++) {
      // Top-level undefined has no JSON text: wrap every value in an object.
      const value = { value: generate(random, 4) };
      assert.equal(roundTrip(value), JSON.stringify(value), `value ${i}`);
    }
  });

  it('keep -0, NaN and ±Infinity as JSON.stringify writes them', () => {
    const value = [-0, NaN, Infinity, -Infinity, undefined, { a: undefined, b: -0 }];
    assert.equal(roundTrip(value), '[0,null,null,null,null,{"b":0}]');
  });
});

describe('HistoryRing', () => {
  const sample = (n: number, errors: string[] = []) => ({ timestamp: 1000 + n, value: n * 1.5, errors });

  it('keeps the newest `capacity` values and tells overwritten sequence numbers apart', () => {
    const ring = new HistoryRing(3);
    assert.deepEqual([ring.first, ring.next], [0, 0]);
    assert.equal(ring.json(0), undefined);
    for (let n = 0; n < 5; n++) {
      assert.equal(ring.push(sample(n), 1000 + n), n);
    }
    assert.deepEqual([ring.first, ring.next], [2, 5]);
    assert.equal(ring.json(1), undefined);
    assert.equal(ring.json(5), undefined);
    for (let n = 2; n < 5; n++) {
      assert.equal(ring.json(n), JSON.stringify(sample(n)));
    }
  });

  it('shares one template between values that differ only in numbers and frees unused ones', () => {
    const ring = new HistoryRing(3);
    ring.push(sample(0), 0);
    ring.push(sample(1), 1);
    assert.equal(ring.templateCount, 1);
    ring.push(sample(2, ['pids.max: unreadable']), 2);
    assert.equal(ring.templateCount, 2);
    ring.push(sample(3), 3);
    ring.push(sample(4), 4);
    ring.push(sample(5), 5); // the value with an error is overwritten: its template goes
    assert.equal(ring.templateCount, 1);
  });

  it('widens its number store when a value has more numbers, keeping the older slots', () => {
    const ring = new HistoryRing(4);
    ring.push({ a: 1 }, 0);
    ring.push({ a: 2, b: [3, 4, 5] }, 1);
    ring.push({ a: 6 }, 2);
    assert.deepEqual(
      [0, 1, 2].map(n => ring.json(n)),
      ['{"a":1}', '{"a":2,"b":[3,4,5]}', '{"a":6}']
    );
  });

  it('finds the newest run of keys at or after a point, counted back from the newest', () => {
    const ring = new HistoryRing(4);
    for (const key of [10, 20, 30, 40, 50]) {
      ring.push({ key }, key);
    }
    assert.equal(ring.firstFrom(0), 1); // sequence 0 was overwritten
    assert.equal(ring.firstFrom(30), 2);
    assert.equal(ring.firstFrom(51), 5);
    ring.push({ key: 5 }, 5); // the clock stepped back: older keys are not the last N seconds'
    assert.equal(ring.firstFrom(0), 2);
    assert.equal(ring.firstFrom(30), 6);
  });
});
